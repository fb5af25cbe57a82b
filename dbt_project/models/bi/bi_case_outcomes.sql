{{ config(alias='case_outcomes') }}
-- Prosecution outcomes (charges filed, trials, guilty verdicts) as counts or rates.
select
    cast(outcomes.figure_id as varchar) as figure_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(outcomes.outcome as varchar) as outcome,
    cast(outcomes.breakdown_dimension as varchar) as breakdown,
    cast(outcomes.breakdown_category as varchar) as category,
    cast(outcomes.base_population as varchar) as counted_as,
    cast(outcomes.outcome_count as bigint) as outcome_count,
    cast(outcomes.outcome_percent as decimal(5, 1)) as outcome_percent,
    cast(outcomes.qualifier in ('more_than', 'at_least') as boolean) as is_lower_bound,
    cast(outcomes.qualifier = 'less_than' as boolean) as is_suppressed,
    cast(outcomes.reliability as varchar) as reliability,
    cast(outcomes.source_url as varchar) as source_url
from {{ local_ref('fct_case_outcomes') }} as outcomes
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
