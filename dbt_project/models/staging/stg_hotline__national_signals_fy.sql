-- Federal fiscal year N runs from 1 October of N-1 to 30 September of N.
select
    fiscal_year,
    make_date(fiscal_year - 1, 10, 1) as period_start,
    make_date(fiscal_year, 9, 30) as period_end,
    total_signals,
    substantive_signals,
    signals_from_potential_victims,
    potential_situations_identified,
    source_line,
    dataset_id,
    source_file,
    file_sha256,
    loaded_at
from {{ source('raw', 'hotline_national_signals_fy') }}
