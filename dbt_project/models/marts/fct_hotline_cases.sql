-- Hotline cases ("situations" from 2018 on) by period, jurisdiction and breakdown, with the scope of lines
-- each figure covers (hotline only, or with the BeFree textline).
select
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    metric as measure,
    scope,
    breakdown_dimension,
    breakdown_category,
    case when breakdown_dimension = 'trafficking_type' then breakdown_category
         when breakdown_dimension = 'total' then 'all' end as trafficking_type_id,
    cast(value as bigint) as case_count,
    share_of_national_percent,
    qualifier,
    value_text,
    reliability,
    source_url,
    quote,
    source_version,
    file_sha256
from {{ ref('int_figures__unioned') }}
inner join {{ ref('metrics') }} using (metric)
where is_latest_version and fact_table = 'hotline_cases'
