-- Every copy of every hotline case figure, ranked by the preferred-source rule (macro source_rank): the rows
-- of bi.hotline_cases (rank 1 only) and bi.hotline_cases_all_sources, which inline this model (ephemeral).
with ranked as (
    {{ ranked_figures(
        'fct_hotline_cases',
        [
            'jurisdiction_id', 'period_id', 'measure', 'scope', 'breakdown_dimension', 'breakdown_category',
        ],
    ) }}
)

select
    cast(ranked.figure_id as varchar) as figure_id,
    cast(ranked.jurisdiction_id as varchar) as jurisdiction_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(jurisdictions.jurisdiction_level as varchar) as jurisdiction_level,
    cast(jurisdictions.state_postal as varchar) as state_postal,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(ranked.measure as varchar) as measure,
    cast(ranked.scope as varchar) as scope,
    cast(ranked.breakdown_dimension as varchar) as breakdown,
    cast(ranked.breakdown_category as varchar) as category,
    cast(ranked.case_count as bigint) as cases,
    cast(ranked.share_of_national_percent as double) as share_of_national_percent,
    cast(ranked.qualifier as varchar) as qualifier,
    cast(ranked.qualifier = 'less_than' as boolean) as is_suppressed,
    cast(ranked.value_text as varchar) as value_as_published,
    cast(ranked.reliability as varchar) as reliability,
    cast(ranked.source_url as varchar) as source_url,
    cast(ranked.source_rank = 1 as boolean) as is_preferred,
    cast(ranked.source_rank as integer) as source_rank
from ranked
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
