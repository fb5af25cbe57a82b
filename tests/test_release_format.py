"""The release format: a real release parses; malformed ones fail naming the file, the field and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from orchestration.ingest.errors import SourceFileError
from orchestration.ingest.report_release import parse_release_file
from orchestration.ingest.values import parse_value

RELEASE_2021 = Path(__file__).resolve().parent.parent / "sources/report_releases/ochttf/ochttf_2021.yaml"


def _write(tmp_path: Path, document: dict) -> Path:
    path = tmp_path / "release.yaml"
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
        (lambda d: d["figures"][1].update(metric="victim"), "figures[1].metric", "unknown metric 'victim'"),
        (lambda d: d["figures"][0].update(unit="persons"), "figures[0].unit", "unknown unit for metric victims"),
        (lambda d: d["release"].update(period_end="2020-13-01"), "release.period_end", "not a date"),
        (lambda d: d["release"].pop("title"), "release", "missing required field(s) title"),
        (lambda d: d["release"].update(jurisdiction="Orange County"), "release.jurisdiction", "unknown jurisdiction"),
        (lambda d: d["figures"][2].update(breakdown_category="women"), "figures[2].breakdown", "unknown breakdown"),
        (lambda d: d.update(format_version=2), "format_version", "found 2"),
        (lambda d: d["release"].update(release_date=None), "release.release_date", "no note saying why"),
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
    assert str(tmp_path / "release.yaml") in str(raised.value)


def test_invalid_yaml_reports_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("format_version: 1\nrelease: [unclosed\n", encoding="utf-8")
    with pytest.raises(SourceFileError, match=r"broken\.yaml, line \d+, column \d+: invalid YAML"):
        parse_release_file(path)


def test_latin1_file_is_refused_with_the_line_of_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes("format_version: 1\nrelease:\n  title: Año\n".encode("latin-1"))
    with pytest.raises(SourceFileError, match=r"line 3: byte 0xf1 is not valid UTF-8"):
        parse_release_file(path)


@pytest.mark.parametrize(
    ("raw", "value", "suppressed_below"),
    [(357, 357.0, None), ("1,521", 1521.0, None), ("<5", None, 5), ("< 3", None, 3), (91.9, 91.9, None)],
)
def test_published_values_keep_suppression_apart_from_numbers(raw, value, suppressed_below) -> None:
    parsed = parse_value(raw)
    assert (parsed.value, parsed.suppressed_below) == (value, suppressed_below)
