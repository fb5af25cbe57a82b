{{ config(alias='victim_figures') }}
-- Every victim figure the task forces published (latest versions), with labels instead of codes: one row per
-- question, from the preferred source (macro source_rank). No two sources answer the same question today.
with ranked as (
    {{ ranked_figures(
        'fct_victims',
        [
            'jurisdiction_id', 'period_id', 'base_population', 'breakdown_dimension', 'breakdown_category',
            'unit',
        ],
    ) }}
)

select
    cast(ranked.figure_id as varchar) as figure_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(ranked.base_population as varchar) as counted_as,
    cast(ranked.breakdown_dimension as varchar) as breakdown,
    cast(coalesce(types.trafficking_type_label, demographics.demographic_label, 'All') as varchar) as category,
    cast(ranked.victim_count as bigint) as victims,
    cast(ranked.victim_percent as decimal(5, 1)) as victims_percent,
    cast(ranked.qualifier in ('more_than', 'at_least') as boolean) as is_lower_bound,
    cast(ranked.qualifier = 'approximately' as boolean) as is_approximate,
    cast(ranked.qualifier = 'less_than' as boolean) as is_suppressed,
    cast(ranked.value_text as varchar) as value_as_published,
    cast(ranked.reliability as varchar) as reliability,
    cast(sources.title as varchar) as source_title,
    cast(ranked.source_url as varchar) as source_url,
    cast(ranked.source_rank = 1 as boolean) as is_preferred,
    cast(ranked.source_rank as integer) as source_rank
from ranked
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
inner join {{ local_ref('dim_source') }} as sources using (source_id)
left join {{ local_ref('dim_trafficking_type') }} as types using (trafficking_type_id)
left join {{ local_ref('dim_demographic') }} as demographics using (demographic_id)
where ranked.source_rank = 1
