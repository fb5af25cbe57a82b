{{ config(alias='victims_by_period_and_type') }}
-- Victims per jurisdiction, reporting period and trafficking type (latest release per period).
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
    cast(source_id as varchar) as source_id
from {{ local_ref('victims_by_year_and_type') }}
