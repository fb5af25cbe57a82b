"""Column types of the warehouse's `raw` schema: what the ingest assets write and dbt's sources read."""

from __future__ import annotations

_PROVENANCE = {"source_file": "varchar not null", "file_sha256": "varchar not null"}

RAW_TABLES: dict[str, dict[str, str]] = {
    "report_releases": {
        "release_id": "varchar primary key", "publisher": "varchar not null", "publisher_code": "varchar not null",
        "title": "varchar not null", "document_type": "varchar not null", "jurisdiction_id": "varchar not null",
        "release_date": "date", "release_date_note": "varchar", "release_year": "integer",
        "period_start": "date not null", "period_end": "date not null", "document_url": "varchar",
        "document_url_note": "varchar", "notes": "varchar", **_PROVENANCE,
    },
    "report_figures": {
        "release_id": "varchar not null", "figure_index": "integer not null", "metric": "varchar not null",
        "base_population": "varchar", "breakdown_dimension": "varchar not null",
        "breakdown_category": "varchar not null", "value": "double", "value_text": "varchar not null",
        "suppressed_below": "integer", "unit": "varchar not null", "qualifier": "varchar not null",
        "period_start": "date not null", "period_end": "date not null", "source_url": "varchar not null",
        "quote": "varchar", "reliability": "varchar not null", "note": "varchar", **_PROVENANCE,
    },
    "hotline_state_calls_cases": {
        "source_line": "integer not null", "Year_Date": "integer not null", "Calls": "integer not null",
        "Cases_Reported": "integer not null", "State": "varchar not null", "postal": "varchar not null",
        **_PROVENANCE,
    },
    "hotline_national_signals_fy": {
        "source_line": "integer not null", "fiscal_year": "integer not null", "total_signals": "integer not null",
        "substantive_signals": "integer", "signals_from_potential_victims": "integer not null",
        "potential_situations_identified": "integer not null", **_PROVENANCE,
    },
    "hotline_published_figures": {
        "source_line": "integer not null", "figure_id": "varchar not null", "jurisdiction": "varchar not null",
        "period_start": "date not null", "period_end": "date not null", "metric": "varchar not null",
        "base_population": "varchar", "breakdown_dimension": "varchar not null",
        "breakdown_category": "varchar not null", "value": "double", "value_text": "varchar not null",
        "suppressed_below": "integer", "unit": "varchar not null", "qualifier": "varchar not null",
        "scope": "varchar not null", "source_url": "varchar not null", "quote": "varchar",
        "reliability": "varchar not null", "note": "varchar", **_PROVENANCE,
    },
    "source_datasets": {
        "dataset_id": "varchar primary key", "raw_table": "varchar not null", "title": "varchar not null",
        "publisher": "varchar not null", "source_url": "varchar", "document_type": "varchar not null",
        "reliability": "varchar", "obtained_from": "varchar not null", "notes": "varchar", **_PROVENANCE,
    },
}  # fmt: skip

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    load_id varchar primary key,
    raw_table varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    row_count integer not null,
    loaded_at timestamp with time zone not null,
    run_id varchar not null
)
"""
