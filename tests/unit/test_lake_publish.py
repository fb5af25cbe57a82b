"""What a lake publish copies, without a lake: the relations that changed between two DuckDB databases, copied
in dependency order with their constraints (engine/lake.py), and view SQL as DuckDB files and DuckLake give it."""

from __future__ import annotations

import duckdb
import pytest

from orchestration.engine.lake import changed_relations, copy_relations, relations
from orchestration.engine.warehouse import create_view_sql


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    for name in ("base", "candidate", "target"):
        conn.execute(f"attach ':memory:' as {name}")
    for database in ("base", "candidate"):
        conn.execute(f"create schema {database}.marts")
        conn.execute(f"create schema {database}.staging")
        conn.execute(f"create table {database}.marts.kept (x integer not null)")
        conn.execute(f"insert into {database}.marts.kept values (1), (2)")
        conn.execute(f"create table {database}.marts.changed (x integer)")
        conn.execute(f"use {database}")
        conn.execute("create view staging.a as select x from marts.kept")
    conn.execute("use memory")
    conn.execute("insert into base.marts.changed values (1)")
    conn.execute("insert into candidate.marts.changed values (1), (99)")
    conn.execute("create table base.marts.gone (x integer)")
    # A view reading another view: DuckDB binds views when they are created, so `b` must be created after `a`.
    conn.execute("use candidate")
    conn.execute("create view staging.b as select * from staging.a")
    conn.execute("use memory")
    return conn


def test_only_what_the_candidate_changed_is_published(conn: duckdb.DuckDBPyConnection) -> None:
    changed, dropped = changed_relations(conn, "candidate", "base")
    assert [(r.schema, r.name) for r in changed] == [("marts", "changed"), ("staging", "b")]
    assert [(r.schema, r.name) for r in dropped] == [("marts", "gone")]


def test_a_first_publish_copies_everything_views_after_what_they_read(conn: duckdb.DuckDBPyConnection) -> None:
    changed, dropped = changed_relations(conn, "candidate", None)
    # Names in an order where `staging.b` comes before the view it reads.
    changed.sort(key=lambda r: (r.kind != "view", r.name != "b"))
    conn.execute("begin")
    copy_relations(conn, "candidate", "target", changed, dropped)
    conn.execute("commit")
    conn.execute("use memory")
    expected = {("marts", "kept"), ("marts", "changed"), ("staging", "a"), ("staging", "b")}
    assert set(relations(conn, "target")) == expected
    assert conn.execute("select sum(x) from target.staging.b").fetchone()[0] == 3
    # The NOT NULL constraint came along with the rows.
    with pytest.raises(duckdb.ConstraintException):
        conn.execute("insert into target.marts.kept values (null)")


def test_a_table_replaced_by_a_view_of_the_same_name(conn: duckdb.DuckDBPyConnection) -> None:
    copy_relations(conn, "base", "target", list(relations(conn, "base").values()), [])
    conn.execute("use candidate")
    conn.execute("drop table marts.changed")
    conn.execute("create view marts.changed as select 7 as x")
    conn.execute("use memory")
    changed, dropped = changed_relations(conn, "candidate", "base")
    copy_relations(conn, "candidate", "target", changed, dropped)
    conn.execute("use memory")
    assert relations(conn, "target")[("marts", "changed")].kind == "view"
    assert ("marts", "gone") not in relations(conn, "target")


@pytest.mark.parametrize(
    "sql",
    [
        "CREATE VIEW bi.cases AS SELECT 1 AS x;",  # a DuckDB file names the schema
        "CREATE VIEW cases AS SELECT 1 AS x;",  # a DuckLake catalog does not
    ],
)
def test_view_sql_is_rewritten_for_the_schema_it_belongs_to(sql: str) -> None:
    assert create_view_sql("bi", "cases", sql) == 'CREATE OR REPLACE VIEW "bi"."cases" AS SELECT 1 AS x;'
