select
    period_id,
    period_start,
    period_end,
    period_type,
    period_label,
    calendar_years_touched
from {{ ref('int_periods') }}
