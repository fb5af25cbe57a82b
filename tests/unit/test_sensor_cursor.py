"""The landing sensor names a file it cannot take once, in the first tick that finds it, not in every tick."""

from __future__ import annotations

from orchestration.defs.sensors import first_seen

STRAY = "/data/landing/ochttf-2025.yaml: not in a source kind's folder"
WRONG_TYPE = "/data/landing/report_releases/report.pdf: not a file type report_releases/ takes"


def test_a_file_left_where_it_is_is_named_once() -> None:
    new, cursor = first_seen([STRAY], None)
    assert new == [STRAY]
    assert first_seen([STRAY], cursor)[0] == []
    # Another file joins it: only that one is new.
    new, cursor = first_seen([STRAY, WRONG_TYPE], cursor)
    assert new == [WRONG_TYPE]
    assert first_seen([WRONG_TYPE, STRAY], cursor)[0] == []


def test_a_file_taken_away_and_dropped_again_is_named_again() -> None:
    _, cursor = first_seen([STRAY], None)
    _, cursor = first_seen([], cursor)
    assert first_seen([STRAY], cursor)[0] == [STRAY]


def test_a_cursor_of_another_format_names_every_file_once_more() -> None:
    assert first_seen([STRAY], "1700000000.0")[0] == [STRAY]
    assert first_seen([STRAY], "[1, 2]")[0] == [STRAY]
