{{ config(alias='hotline_cases') }}
-- National Human Trafficking Hotline cases per jurisdiction (nation or state) and period.
select
    cast(cases.figure_id as varchar) as figure_id,
    cast(cases.jurisdiction_id as varchar) as jurisdiction_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(jurisdictions.jurisdiction_level as varchar) as jurisdiction_level,
    cast(jurisdictions.state_postal as varchar) as state_postal,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(cases.measure as varchar) as measure,
    cast(cases.scope as varchar) as scope,
    cast(cases.breakdown_dimension as varchar) as breakdown,
    cast(cases.breakdown_category as varchar) as category,
    cast(cases.case_count as bigint) as cases,
    cast(cases.share_of_national_percent as double) as share_of_national_percent,
    cast(cases.qualifier as varchar) as qualifier,
    cast(cases.qualifier = 'less_than' as boolean) as is_suppressed,
    cast(cases.value_text as varchar) as value_as_published,
    cast(cases.reliability as varchar) as reliability,
    cast(cases.source_url as varchar) as source_url
from {{ local_ref('fct_hotline_cases') }} as cases
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
