-- Prosecution and law-enforcement outcomes as published: arrests, cases prosecuted, charge filing and
-- trial guilty verdict rates.

-- The measures the metrics seed files under this fact table.
with fact_metrics as (
    select metric from {{ ref('metrics') }}
    where fact_table = 'case_outcomes'
)

select
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    metric as outcome,
    breakdown_dimension,
    breakdown_category,
    base_population,
    unit,
    case when unit = 'count' then cast(value as bigint) end as outcome_count,
    case when unit = 'percent' then cast(value as decimal(5, 1)) end as outcome_percent,
    qualifier,
    value_text,
    reliability,
    source_url,
    quote,
    source_version,
    file_sha256
from {{ ref('int_figures__unioned') }}
where
    is_latest_version
    and metric in (select fact_metrics.metric from fact_metrics)
    and not is_press_coverage
    and not is_repeated_in_source
