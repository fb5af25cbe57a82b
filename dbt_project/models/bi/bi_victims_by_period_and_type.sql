{{ config(alias='victims_by_period_and_type') }}
-- Victims per jurisdiction, reporting period and trafficking type. The mart already keeps one row per question
-- (the latest release per period); the rank states it with the rule every bi view uses (macro source_rank).
with ranked as (
    {{ ranked_figures(
        'victims_by_year_and_type',
        [
            'jurisdiction_id', 'period_id', 'trafficking_type_id',
        ],
        tie_breaker='source_id',
    ) }}
)

select
    cast(jurisdiction_id as varchar) as jurisdiction_id,
    cast(jurisdiction_name as varchar) as jurisdiction_name,
    cast(period_label as varchar) as period_label,
    cast(period_start as date) as period_start,
    cast(period_end as date) as period_end,
    cast(trafficking_type_label as varchar) as trafficking_type,
    cast(victim_count as bigint) as victims,
    cast(total_victims as bigint) as total_victims,
    cast(share_of_total_percent as decimal(5, 1)) as share_of_total_percent,
    cast(base_population as varchar) as counted_as,
    cast(qualifier in ('more_than', 'at_least') as boolean) as is_lower_bound,
    cast(reliability as varchar) as reliability,
    cast(source_id as varchar) as source_id,
    cast(source_rank = 1 as boolean) as is_preferred,
    cast(source_rank as integer) as source_rank
from ranked
where source_rank = 1
