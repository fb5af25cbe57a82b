select
    'US-' || postal as jurisdiction_id,
    "Year_Date" as calendar_year,
    make_date("Year_Date", 1, 1) as period_start,
    make_date("Year_Date", 12, 31) as period_end,
    "Calls" as phone_calls,
    "Cases_Reported" as cases_reported,
    "State" as state_slug,
    source_line,
    dataset_id,
    source_file,
    file_sha256,
    loaded_at
from {{ source('raw', 'hotline_state_calls_cases') }}
