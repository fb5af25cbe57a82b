"""One registry of source kinds, in step with the parsers' layouts, the raw tables and the shipped folders."""

from __future__ import annotations

from orchestration.engine.raw_tables import RAW_TABLES
from orchestration.parsers.hotline import HOTLINE_TABLES
from orchestration.parsers.kinds import SOURCE_KIND_LIST, SOURCE_KINDS
from tests.unit.conftest import PROJECT_ROOT


def test_every_hotline_layout_loads_into_a_raw_table_of_its_kind() -> None:
    for table in HOTLINE_TABLES:
        assert table.raw_table in SOURCE_KINDS[table.kind_name].raw_tables
    for kind in SOURCE_KIND_LIST[1:]:
        assert kind.raw_tables == tuple(t.raw_table for t in HOTLINE_TABLES if t.kind_name == kind.name)


def test_every_raw_table_is_fed_by_exactly_one_kind() -> None:
    fed = [table for kind in SOURCE_KIND_LIST for table in kind.raw_tables]
    assert sorted(fed) == sorted(RAW_TABLES)


def test_every_kind_has_a_shipped_folder() -> None:
    assert {p.name for p in (PROJECT_ROOT / "sources").iterdir() if p.is_dir()} == set(SOURCE_KINDS)
