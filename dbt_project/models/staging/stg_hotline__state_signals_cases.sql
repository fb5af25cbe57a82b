-- The hotline statistics page's current state table; its period comes from the file's provenance record.
select
    'US-' || postal as jurisdiction_id,
    state as state_name,
    period_start,
    period_end,
    signals_received,
    signals_percent_of_total,
    cases_identified,
    cases_percent_of_total,
    source_line,
    dataset_id,
    source_file,
    file_sha256,
    loaded_at
from {{ source('raw', 'hotline_state_signals_cases') }}
