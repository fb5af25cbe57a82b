select
    'US-' || postal as jurisdiction_id,
    year_date as calendar_year,
    make_date(year_date, 1, 1) as period_start,
    make_date(year_date, 12, 31) as period_end,
    calls as phone_calls,
    cases_reported,
    state as state_slug,
    source_line,
    dataset_id,
    source_file,
    file_sha256,
    loaded_at
from {{ source('raw', 'hotline_state_calls_cases') }}
