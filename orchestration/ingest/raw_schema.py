"""Column types of the warehouse's `raw` schema: what the ingest assets write and dbt's sources read."""

from __future__ import annotations

# Every raw row names the file version it came from and when that version was loaded.
_PROVENANCE = {
    "source_file": "varchar not null",
    "file_sha256": "varchar not null",
    "loaded_at": "timestamp with time zone not null",
}
# Hotline rows carry the provenance record shipped beside their file.
_DATASET = {
    "dataset_id": "varchar not null",
    "dataset_title": "varchar not null",
    "dataset_publisher": "varchar not null",
    "dataset_source_url": "varchar",
    "dataset_document_type": "varchar not null",
    "dataset_reliability": "varchar",
    "dataset_obtained_from": "varchar not null",
    "dataset_notes": "varchar",
    # Optional: what a table deliberately leaves out (no every-state rule then), and why a correction is large.
    "dataset_partial_scope": "varchar",
    "dataset_correction_note": "varchar",
}

# One published figure with its provenance: the same columns in release files and the hotline's compiled figures.
_FIGURE = {
    "metric": "varchar not null",
    "base_population": "varchar",
    "breakdown_dimension": "varchar not null",
    "breakdown_category": "varchar not null",
    "value": "double",
    "value_text": "varchar not null",
    "suppressed_below": "integer",
    "unit": "varchar not null",
    "qualifier": "varchar not null",
    "source_url": "varchar not null",
    "quote": "varchar",
    "reliability": "varchar not null",
    "note": "varchar",
}

RAW_TABLES: dict[str, dict[str, str]] = {
    "report_releases": {
        "release_id": "varchar not null",
        "publisher": "varchar not null",
        "publisher_code": "varchar not null",
        "title": "varchar not null",
        "document_type": "varchar not null",
        "jurisdiction_id": "varchar not null",
        "release_date": "date",
        "release_date_note": "varchar",
        "release_year": "integer",
        "period_start": "date not null",
        "period_end": "date not null",
        "document_url": "varchar",
        "document_url_note": "varchar",
        "notes": "varchar",
        # What the figures cover (seeds/code_lists.csv, list scope); task_force unless the release says otherwise.
        "scope": "varchar",
        "correction_note": "varchar",
        **_PROVENANCE,
    },
    "report_figures": {
        "release_id": "varchar not null",
        "figure_index": "integer not null",
        # Set where one release covers many jurisdictions (UNODC: one per country); else the release's.
        "jurisdiction_id": "varchar",
        "period_start": "date not null",
        "period_end": "date not null",
        **_FIGURE,
        **_PROVENANCE,
    },
    "hotline_state_calls_cases": {
        "source_line": "integer not null",
        "Year_Date": "integer not null",
        "Calls": "integer not null",
        "Cases_Reported": "integer not null",
        "State": "varchar not null",
        "postal": "varchar not null",
        **_DATASET,
        **_PROVENANCE,
    },
    # The current state layout ("Signals and cases by State in <year>"): period from the provenance record,
    # postal code from the state's name (NULL where unknown), shares of the national totals as published.
    "hotline_state_signals_cases": {
        "source_line": "integer not null",
        "State": "varchar not null",
        "signals_received": "integer not null",
        "signals_percent_of_total": "double not null",
        "cases_identified": "integer not null",
        "cases_percent_of_total": "double not null",
        "postal": "varchar",
        "period_start": "date not null",
        "period_end": "date not null",
        **_DATASET,
        **_PROVENANCE,
    },
    "hotline_national_signals_fy": {
        "source_line": "integer not null",
        "fiscal_year": "integer not null",
        "total_signals": "integer not null",
        "substantive_signals": "integer",
        "signals_from_potential_victims": "integer not null",
        "potential_situations_identified": "integer not null",
        **_DATASET,
        **_PROVENANCE,
    },
    "hotline_published_figures": {
        "source_line": "integer not null",
        "figure_id": "varchar not null",
        "jurisdiction": "varchar not null",
        "period_start": "date not null",
        "period_end": "date not null",
        "scope": "varchar not null",
        **_FIGURE,
        **_DATASET,
        **_PROVENANCE,
    },
}

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    load_id varchar primary key,
    source_kind varchar not null,
    partition_key varchar not null,
    raw_tables varchar not null,
    file_path varchar not null,
    file_sha256 varchar not null,
    row_count integer not null,
    outcome varchar not null,
    loaded_at timestamp with time zone not null,
    run_id varchar not null
)
"""
