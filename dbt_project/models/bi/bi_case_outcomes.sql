{{ config(alias='case_outcomes') }}
-- Prosecution outcomes (charges filed, trials, guilty verdicts) as counts or rates: one row per question, from the
-- preferred source (macro source_rank). No two sources answer the same question today.
with ranked as (
    {{ ranked_figures(
        'fct_case_outcomes',
        [
            'jurisdiction_id', 'period_id', 'outcome', 'base_population', 'breakdown_dimension',
            'breakdown_category', 'unit',
        ],
    ) }}
)

select
    cast(ranked.figure_id as varchar) as figure_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(ranked.outcome as varchar) as outcome,
    cast(ranked.breakdown_dimension as varchar) as breakdown,
    cast(ranked.breakdown_category as varchar) as category,
    cast(ranked.base_population as varchar) as counted_as,
    cast(ranked.outcome_count as bigint) as outcome_count,
    cast(ranked.outcome_percent as decimal(5, 1)) as outcome_percent,
    cast(ranked.qualifier in ('more_than', 'at_least') as boolean) as is_lower_bound,
    cast(ranked.qualifier = 'less_than' as boolean) as is_suppressed,
    cast(ranked.reliability as varchar) as reliability,
    cast(ranked.source_url as varchar) as source_url,
    cast(ranked.source_rank = 1 as boolean) as is_preferred,
    cast(ranked.source_rank as integer) as source_rank
from ranked
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
where ranked.source_rank = 1
