-- The change in the headline victim count between consecutive reports of a jurisdiction. Bases changed
-- over the years (victims served, assisted, ...): same_base says whether a change compares like with like.
with headline as (
    select
        victims.jurisdiction_id,
        victims.source_id,
        victims.period_id,
        periods.period_start,
        periods.period_label,
        victims.base_population,
        victims.victim_count,
        victims.qualifier,
        row_number() over (
            partition by victims.source_id
            order by
                case victims.base_population
                    when 'victims_assisted' then 1
                    when 'victims_served' then 2
                    when 'victims_unspecified' then 3
                    else 4
                end
        ) as base_rank
    from {{ ref('fct_victims') }} as victims
    inner join {{ ref('dim_source') }} as sources using (source_id)
    inner join {{ ref('dim_period') }} as periods using (period_id)
    where
        victims.breakdown_dimension = 'total'
        and victims.unit = 'count'
        and victims.qualifier = 'exact'
        and sources.source_kind = 'report_release'
        -- The release's own reporting period, not cumulative or sub-period figures it also quotes.
        and periods.period_start = sources.period_start
        and periods.period_end = sources.period_end
        and victims.base_population in ('victims_assisted', 'victims_served', 'victims_unspecified')
),

ordered as (
    select
        *,
        lag(source_id) over by_period as previous_source_id,
        lag(period_id) over by_period as previous_period_id,
        lag(victim_count) over by_period as previous_victim_count,
        lag(base_population) over by_period as previous_base_population
    from headline
    where base_rank = 1
    window by_period as (partition by jurisdiction_id order by period_start)
)

select
    jurisdiction_id,
    source_id,
    period_id,
    period_label,
    base_population,
    victim_count,
    previous_source_id,
    previous_period_id,
    previous_base_population,
    previous_victim_count,
    victim_count - previous_victim_count as change_in_victims,
    cast(
        round(100.0 * (victim_count - previous_victim_count) / nullif(previous_victim_count, 0), 1)
        as decimal(6, 1)
    ) as change_percent,
    base_population = previous_base_population as same_base
from ordered
