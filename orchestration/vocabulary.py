"""The project's one definition of its measures and code lists.

The lists live as dbt seeds (`dbt_project/seeds/*.csv`) so that the warehouse can join them; the parsers
read the same files, so a metric or category is defined once and used everywhere.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from orchestration.settings import DBT_PROJECT_DIR

SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
# In seeds/breakdown_categories.csv, a dimension with this category accepts any category text.
OPEN_CATEGORY = "*"
# A figure broken down by several dimensions at once (female minors) joins them: `gender+age_group`, `female+minor`.
PART_SEPARATOR = "+"


def _read(name: str) -> list[dict[str, str]]:
    path: Path = SEEDS_DIR / f"{name}.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@dataclass(frozen=True)
class Vocabulary:
    metric_units: dict[str, frozenset[str]]
    base_populations: frozenset[str]
    breakdowns: frozenset[tuple[str, str]]
    required_parts: frozenset[tuple[str, str]]
    jurisdictions: frozenset[str]
    # The 50 states and DC: what a state table must cover unless it declares a partial scope.
    states: frozenset[str]
    code_lists: dict[str, frozenset[str]]

    @property
    def open_dimensions(self) -> frozenset[str]:
        """Dimensions whose categories are free text as published (e.g. citizenship), marked `*` in the seed."""
        return frozenset(d for d, c in self.breakdowns if c == OPEN_CATEGORY)

    def codes(self, list_name: str) -> frozenset[str]:
        return self.code_lists[list_name]


@cache
def vocabulary() -> Vocabulary:
    code_lists: dict[str, set[str]] = {}
    for row in _read("code_lists"):
        code_lists.setdefault(row["list_name"], set()).add(row["code"])
    return Vocabulary(
        metric_units={r["metric"]: frozenset(r["allowed_units"].split("|")) for r in _read("metrics")},
        base_populations=frozenset(r["base_population"] for r in _read("base_populations")),
        breakdowns=frozenset(
            (r["breakdown_dimension"], r["breakdown_category"]) for r in _read("breakdown_categories")
        ),
        required_parts=frozenset(
            (r["breakdown_dimension"], r["breakdown_category"])
            for r in _read("breakdown_categories")
            if r["required_for_completeness"] == "true"
        ),
        jurisdictions=frozenset(r["jurisdiction_id"] for r in _read("jurisdictions")),
        states=frozenset(r["jurisdiction_id"] for r in _read("jurisdictions") if r["jurisdiction_level"] == "state"),
        code_lists={k: frozenset(v) for k, v in code_lists.items()},
    )
