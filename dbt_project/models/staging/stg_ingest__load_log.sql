-- Every raw asset appends to raw.load_log in the same transaction as its rows. Declared as depending on the raw
-- tables too, so that Dagster rebuilds this model with theirs (and not while one of their loads still runs):
-- depends_on: {{ source('raw', 'report_releases') }}
-- depends_on: {{ source('raw', 'hotline_state_calls_cases') }}
-- depends_on: {{ source('raw', 'hotline_national_signals_fy') }}
-- depends_on: {{ source('raw', 'hotline_published_figures') }}
select
    load_id,
    source_kind,
    partition_key,
    raw_tables,
    file_path,
    file_sha256,
    row_count,
    outcome,
    loaded_at,
    run_id
from {{ source('raw', 'load_log') }}
