-- Hotline cases ("situations" from 2018 on) by period, jurisdiction and breakdown, with the scope of lines
-- each figure covers (hotline only, or with the BeFree textline).

-- The measures the metrics seed files under this fact table.
with fact_metrics as (
    select metric from {{ ref('metrics') }}
    where fact_table = 'hotline_cases'
)

select
    {{ hotline_fact_columns(count_column='case_count') }},
    breakdown_dimension,
    breakdown_category,
    case
        when breakdown_dimension = 'trafficking_type' then breakdown_category
        when breakdown_dimension = 'total' then 'all'
    end as trafficking_type_id
from {{ ref('int_figures__unioned') }}
where
    is_latest_version
    and metric in (select fact_metrics.metric from fact_metrics)
