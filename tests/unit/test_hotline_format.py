"""The hotline table format: a cell that is not what its column takes fails naming the file, line and column."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.parsers.errors import SourceFileError
from orchestration.parsers.hotline import parse_hotline_file
from tests.unit.conftest import PROJECT_ROOT

STATE_SIGNALS_2024 = PROJECT_ROOT / "sources/hotline_state_calls_cases/state_signals_cases_2024.csv"
PUBLISHED_FIGURES = PROJECT_ROOT / "sources/hotline_published_figures/published_figures.csv"


def _with_share(tmp_path: Path, cell: str) -> Path:
    """The shipped 2024 state table (with its provenance) with Alabama's share of signals replaced by `cell`."""
    lines = STATE_SIGNALS_2024.read_text(encoding="utf-8").splitlines()
    state, signals, _share, *rest = lines[1].split(",")
    lines[1] = ",".join([state, signals, cell, *rest])
    path = tmp_path / STATE_SIGNALS_2024.name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    shutil.copy(STATE_SIGNALS_2024.with_suffix(".provenance.yaml"), tmp_path)
    return path


def test_the_shipped_share_parses_as_a_number_of_percent(tmp_path: Path) -> None:
    frame = parse_hotline_file(_with_share(tmp_path, "0.71%")).frame
    assert frame["signals_percent_of_total"].iloc[0] == 0.71


@pytest.mark.parametrize(("cell", "found"), [("nan", "nan"), ("inf%", "inf"), ("-Infinity", "-inf")])
def test_a_share_that_is_not_a_finite_number_is_refused_naming_its_line_and_column(
    tmp_path: Path, cell: str, found: str
) -> None:
    with pytest.raises(SourceFileError) as raised:
        parse_hotline_file(_with_share(tmp_path, cell))
    assert raised.value.location == "line 2, column % of total signals"
    assert f"({found} is not a finite number)" in raised.value.problem


def test_a_published_figure_in_scientific_notation_is_refused_saying_once_what_was_found(tmp_path: Path) -> None:
    header, first, *rest = PUBLISHED_FIGURES.read_text(encoding="utf-8").splitlines()
    cells = first.split(",")
    assert cells[8] == "9298"  # the value column of the first figure
    path = tmp_path / PUBLISHED_FIGURES.name
    path.write_text("\n".join([header, ",".join([*cells[:8], "9.298e3", *cells[9:]]), *rest]) + "\n", encoding="utf-8")
    shutil.copy(PUBLISHED_FIGURES.with_suffix(".provenance.yaml"), tmp_path)
    with pytest.raises(SourceFileError) as raised:
        parse_hotline_file(path)
    assert raised.value.location == "line 2, column value"
    assert raised.value.problem == "found '9.298e3' (not a number)"


def test_a_provenance_field_given_as_a_list_is_refused_naming_the_record_and_field(tmp_path: Path) -> None:
    path = _with_share(tmp_path, "0.71%")
    record = path.with_name(STATE_SIGNALS_2024.with_suffix(".provenance.yaml").name)
    text = record.read_text(encoding="utf-8")
    assert "\nnotes: " in text
    record.write_text(text.replace("\nnotes: ", "\nnotes:\n  - a first note\n  - a second one\nformer_notes: "))
    with pytest.raises(SourceFileError) as raised:
        parse_hotline_file(path)
    assert (raised.value.path, raised.value.location) == (record, "notes")
    assert raised.value.problem == "found a YAML list"


def test_spaces_around_header_names_and_blank_lines_are_read_as_the_cells_are(tmp_path: Path) -> None:
    """An export with " Calls" in its header and a line of spaces: the header names are stripped as the cells are,
    and a blank line is skipped as an empty one is."""
    shipped = PROJECT_ROOT / "sources/hotline_state_calls_cases/state_calls_cases_2012_2016.csv"
    header, *rows = shipped.read_text(encoding="utf-8").splitlines()
    assert header == "Year_Date,Calls,Cases_Reported,State,postal"
    path = tmp_path / shipped.name
    path.write_text("\n".join(["Year_Date, Calls ,Cases_Reported,State,postal", *rows[:3], "   ", *rows[3:]]) + "\n")
    shutil.copy(shipped.with_name("state_calls_cases_2012_2016.provenance.yaml"), tmp_path)
    frame = parse_hotline_file(path).frame
    assert len(frame) == len(rows)
    assert frame["Calls"].tolist() == [int(row.split(",")[1]) for row in rows]
