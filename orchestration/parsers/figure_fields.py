"""The fields of one published figure: shared by release YAML files and tabular figure files."""

from __future__ import annotations

REQUIRED_FIGURE_FIELDS = ("metric", "value", "unit", "source_url", "reliability")
OPTIONAL_FIGURE_FIELDS = (
    "base_population",
    "breakdown_dimension",
    "breakdown_category",
    "qualifier",
    "period_start",
    "period_end",
    "quote",
    "note",
)
