-- Grain: source x period x jurisdiction x base population x breakdown x unit. Counts and percents are kept
-- in separate columns: a row has one or the other, never both.
with figures as (
    select * from {{ ref('int_figures__unioned') }}
    where metric = 'victims' and is_latest_version and not is_press_coverage and not is_repeated_in_source
)

select
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    base_population,
    breakdown_dimension,
    breakdown_category,
    case
        when breakdown_dimension = 'trafficking_type' then breakdown_category
        when breakdown_dimension = 'total' then 'all'
    end as trafficking_type_id,
    case
        when breakdown_dimension in ('gender', 'age_group', 'nationality', 'residence', 'newness')
            then breakdown_dimension || ':' || breakdown_category
    end as demographic_id,
    unit,
    case when unit = 'count' then cast(value as bigint) end as victim_count,
    case when unit = 'percent' then cast(value as decimal(5, 1)) end as victim_percent,
    qualifier,
    value_text,
    scope,
    reliability,
    source_url,
    quote,
    source_version,
    file_sha256
from figures
