"""The release format: a real release parses; structurally malformed ones fail naming the file and field.

Whether codes are known and figures plausible is the expectation suite's job (test_quality_gates.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.report_release import parse_release_file
from orchestration.parsers.values import parse_value

RELEASE_2021 = Path(__file__).resolve().parents[2] / "sources/report_releases/ochttf/ochttf-2021.yaml"


def _write(tmp_path: Path, document: dict, name: str = "ochttf-2021.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _document() -> dict:
    return yaml.safe_load(RELEASE_2021.read_text(encoding="utf-8"))


def test_shipped_2021_release_parses_with_its_period_and_figures() -> None:
    parsed = parse_release_file(RELEASE_2021)
    assert parsed.release["release_id"] == "ochttf-2021"
    assert str(parsed.release["period_start"]) == "2019-01-01"
    assert len(parsed.release["file_sha256"]) == 64
    total = parsed.figures.query("breakdown_dimension == 'total' and metric == 'victims'")
    assert total["value"].tolist() == [357.0]


@pytest.mark.parametrize(
    ("mutate", "location", "message"),
    [
        (lambda d: d["figures"][0].update(value="many"), "figures[0].value", "not a number: found 'many'"),
        (lambda d: d["figures"][0].update(value=float("nan")), "figures[0].value", "nan is not a finite number"),
        (lambda d: d["figures"][2].update(value=float("inf")), "figures[2].value", "inf is not a finite number"),
        (lambda d: d["release"].update(period_end="2020-13-01"), "release.period_end", "not a date"),
        (lambda d: d["release"].pop("title"), "release", "missing required field(s) title"),
        (lambda d: d["figures"][1].update(colour="red"), "figures[1]", "unknown field(s) colour"),
        (lambda d: d.update(format_version=2), "format_version", "found 2"),
        (lambda d: d["release"].update(release_date=None), "release.release_date", "no note saying why"),
        (lambda d: d["release"].update(release_id="ochttf-2019"), "release.release_id", "does not match"),
        (lambda d: d["release"].update(release_year=2021.5), "release.release_year", "not a year: found 2021.5"),
        (lambda d: d["release"].update(release_year="twenty"), "release.release_year", "not a year: found 'twenty'"),
        (lambda d: d["release"].update(release_year=True), "release.release_year", "not a year: found True"),
        (lambda d: d["figures"][1].update(quote=["one", "two"]), "figures[1].quote", "found a YAML list"),
        (lambda d: d["release"].update(title={"en": "x"}), "release.title", "found a YAML dict"),
        (lambda d: d.update(figures={"victims": 357}), "figures", "found a YAML dict"),
        (lambda d: d["figures"].insert(1, "victims: 357"), "figures[1]", "found 'victims: 357'"),
    ],
)
def test_malformed_release_names_the_field_and_what_was_expected(
    tmp_path: Path, mutate, location: str, message: str
) -> None:
    document = _document()
    mutate(document)
    with pytest.raises(SourceFileError) as raised:
        parse_release_file(_write(tmp_path, document))
    assert raised.value.location == location
    assert message in raised.value.problem
    assert str(tmp_path / "ochttf-2021.yaml") in str(raised.value)


@pytest.mark.parametrize(
    ("raw", "value", "suppressed_below"),
    [(357, 357.0, None), ("1,521", 1521.0, None), ("<5", None, 5), ("< 3", None, 3), (91.9, 91.9, None)],
)
def test_published_values_keep_suppression_apart_from_numbers(raw, value, suppressed_below) -> None:
    parsed = parse_value(raw)
    assert (parsed.value, parsed.suppressed_below) == (value, suppressed_below)


def test_a_key_written_twice_is_refused_naming_both_lines(tmp_path: Path) -> None:
    """YAML keys are unique; PyYAML's own loader would keep the second value silently."""
    lines = RELEASE_2021.read_text(encoding="utf-8").splitlines()
    first = lines.index("  value: 357")
    lines.insert(first + 1, "  value: 375")
    path = tmp_path / RELEASE_2021.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(SourceFileError) as raised:
        parse_release_file(path)
    assert raised.value.location == f"line {first + 2}, column 3"
    assert raised.value.problem == f"invalid YAML: the key 'value' is given twice (first on line {first + 1})"
