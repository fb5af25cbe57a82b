-- BI-friendly: one row per jurisdiction x period x trafficking type, with the count and its share of the
-- total the same source gives for the same base. Where several sources cover a period, the latest release wins.
with victims as (
    select * from {{ ref('fct_victims') }}
    where unit = 'count'
),

parts as (
    select * from victims
    where breakdown_dimension = 'trafficking_type'
),

totals as (
    select
        source_id,
        period_id,
        jurisdiction_id,
        base_population,
        victim_count as total_victims
    from victims
    where breakdown_dimension = 'total'
),

joined as (
    select
        parts.jurisdiction_id,
        parts.period_id,
        parts.trafficking_type_id,
        parts.victim_count,
        totals.total_victims,
        parts.base_population,
        parts.source_id,
        parts.reliability,
        parts.qualifier
    from parts
    left join totals using (source_id, period_id, jurisdiction_id, base_population)
),

ranked as (
    select
        joined.*,
        sources.release_date,
        row_number() over (
            partition by joined.jurisdiction_id, joined.period_id, joined.trafficking_type_id
            order by sources.release_date desc nulls last, joined.source_id desc
        ) as recency_rank
    from joined
    inner join {{ ref('dim_source') }} as sources using (source_id)
)

select
    ranked.jurisdiction_id,
    jurisdictions.jurisdiction_name,
    ranked.period_id,
    periods.period_label,
    periods.period_start,
    periods.period_end,
    ranked.trafficking_type_id,
    types.trafficking_type_label,
    ranked.victim_count,
    ranked.total_victims,
    cast(round(100.0 * ranked.victim_count / nullif(ranked.total_victims, 0), 1) as decimal(5, 1))
        as share_of_total_percent,
    ranked.base_population,
    ranked.qualifier,
    ranked.reliability,
    ranked.source_id,
    ranked.release_date
from ranked
inner join {{ ref('dim_period') }} as periods using (period_id)
inner join {{ ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
inner join {{ ref('dim_trafficking_type') }} as types using (trafficking_type_id)
where ranked.recency_rank = 1
