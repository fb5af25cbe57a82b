-- A period is a date range, never a bare year: reports since 2017 cover two calendar years, the hotline's
-- Polaris series uses federal fiscal years (October to September).
with periods as (
    select distinct
        period_id,
        period_start,
        period_end
    from {{ ref('int_figures__unioned') }}
),

final as (
    select
        period_id,
        period_start,
        period_end,
        case
            when
                month(period_start) = 1 and day(period_start) = 1
                and month(period_end) = 12 and day(period_end) = 31
                and year(period_start) = year(period_end)
                then 'calendar_year'
            when
                month(period_start) = 10 and day(period_start) = 1
                and month(period_end) = 9 and day(period_end) = 30
                and year(period_end) = year(period_start) + 1
                then 'fiscal_year'
            when
                month(period_start) = 1 and day(period_start) = 1
                and month(period_end) = 12 and day(period_end) = 31
                then 'multi_year'
            else 'date_range'
        end as period_type,
        year(period_end) - year(period_start) + 1 as calendar_years_touched
    from periods
)

select
    *,
    case period_type
        when 'calendar_year' then cast(year(period_start) as varchar)
        when 'fiscal_year' then 'FY' || year(period_end)
        when 'multi_year' then year(period_start) || '-' || year(period_end)
        else strftime(period_start, '%Y-%m-%d') || ' to ' || strftime(period_end, '%Y-%m-%d')
    end as period_label
from final
