"""column_lineage on hand-written SQL: real dependencies, both ways of naming a parent, and the None fallback."""

from __future__ import annotations

import dagster as dg
import pytest

from orchestration.defs.dbt.column_lineage import column_lineage

FCT = '"warehouse"."marts"."fct_victims"'
DIM = '"warehouse"."marts"."dim_period"'
PARENTS = {
    FCT: {"period_id": "varchar", "victims": "bigint", "lower_bound": "bigint"},
    DIM: {"period_id": "varchar", "year": "integer"},
}


def key(relation: str) -> dg.AssetKey:
    """`<schema>/<table>`, as the project's translator names models."""
    return dg.AssetKey(relation.replace('"', "").split(".")[-2:])


def dep(relation: str, column: str) -> dg.TableColumnDep:
    return dg.TableColumnDep(asset_key=key(relation), column_name=column)


def deps(lineage: dg.TableColumnLineage | None) -> dict[str, set[dg.TableColumnDep]]:
    assert lineage is not None
    return {column: set(found) for column, found in lineage.deps_by_column.items()}


def test_join_and_rename() -> None:
    sql = f"""
        select d.year as period_year, f.victims as persons
        from {FCT} as f join {DIM} as d on f.period_id = d.period_id
    """
    assert deps(column_lineage(sql, ["period_year", "persons"], PARENTS, key)) == {
        "period_year": {dep(DIM, "year")},
        "persons": {dep(FCT, "victims")},
    }


def test_cte_and_column_from_two_parents() -> None:
    sql = f"""
        with figures as (select period_id, victims + lower_bound as total from {FCT}),
        periods as (select * from {DIM})
        select periods.year || '-' || figures.total as label, figures.total
        from figures join periods using (period_id)
    """
    assert deps(column_lineage(sql, ["label", "total"], PARENTS, key)) == {
        "label": {dep(DIM, "year"), dep(FCT, "victims"), dep(FCT, "lower_bound")},
        "total": {dep(FCT, "victims"), dep(FCT, "lower_bound")},
    }


def test_columns_the_sql_does_not_name_have_no_dependencies() -> None:
    sql = f"select year from {DIM}"
    assert deps(column_lineage(sql, ["year", "loaded_at"], PARENTS, key)) == {
        "year": {dep(DIM, "year")},
        "loaded_at": set(),
    }


@pytest.mark.parametrize("parent_name", [DIM, '"marts"."dim_period"'])
@pytest.mark.parametrize("sql_name", [DIM, '"marts"."dim_period"', "marts.DIM_PERIOD"])
def test_parent_named_with_or_without_the_database(parent_name: str, sql_name: str) -> None:
    """local_ref models (the bi views) name parents without the database; the manifest may name them either way."""
    parents = {parent_name: PARENTS[DIM], FCT: PARENTS[FCT]}
    sql = f"select cast(year as bigint) as year from {sql_name}"
    seen: list[str] = []

    def key_of(relation: str) -> dg.AssetKey:
        seen.append(relation)
        return key(relation)

    assert deps(column_lineage(sql, ["year"], parents, key_of)) == {"year": {dep(DIM, "year")}}
    assert seen == [parent_name]


def test_union_all_by_name_is_not_traced() -> None:
    """sqlglot would pair the branches' columns by position, which is wrong here: no lineage rather than a wrong one."""
    sql = f"select period_id, victims from {FCT} union all by name select year as victims, period_id from {DIM}"
    assert column_lineage(sql, ["period_id", "victims"], PARENTS, key) is None


def test_union_all_by_name_of_aligned_branches_is_traced() -> None:
    """Both branches name the same columns in the same order (dim_source's case): by name is by position."""
    sql = f"select period_id, victims from {FCT} union all by name select period_id, year as victims from {DIM}"
    assert deps(column_lineage(sql, ["period_id", "victims"], PARENTS, key)) == {
        "period_id": {dep(FCT, "period_id"), dep(DIM, "period_id")},
        "victims": {dep(FCT, "victims"), dep(DIM, "year")},
    }


def test_sql_that_does_not_parse_gives_none() -> None:
    assert column_lineage("select from where (", ["x"], PARENTS, key) is None
