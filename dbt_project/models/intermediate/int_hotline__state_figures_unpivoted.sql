-- The state pages publish a state x year table with two measures; the warehouse stores one figure per row.
with state_table as (
    select * from {{ ref('stg_hotline__state_calls_cases') }}
),

dataset as (
    select * from {{ ref('stg_hotline__source_datasets') }}
    where raw_table = 'hotline_state_calls_cases'
),

unpivoted as (
    select
        state_table.*,
        measure.metric,
        measure.breakdown_dimension,
        measure.breakdown_category,
        measure.value
    from state_table
    cross join lateral (
        values
            ('signals', 'channel', 'phone', state_table.phone_calls),
            ('cases', 'total', 'all', state_table.cases_reported)
    ) as measure (metric, breakdown_dimension, breakdown_category, value)
),

final as (
    select
        dataset.dataset_id || ':' || unpivoted.jurisdiction_id || ':' || unpivoted.calendar_year
            || ':' || unpivoted.metric as figure_id,
        dataset.dataset_id as source_id,
        unpivoted.jurisdiction_id,
        unpivoted.period_start,
        unpivoted.period_end,
        unpivoted.metric,
        'not_stated' as base_population,
        unpivoted.breakdown_dimension,
        unpivoted.breakdown_category,
        cast(unpivoted.value as double) as value,
        cast(unpivoted.value as varchar) as value_text,
        cast(null as integer) as suppressed_below,
        'count' as unit,
        'exact' as qualifier,
        'national_hotline' as scope,
        dataset.source_url,
        cast(null as varchar) as quote,
        dataset.reliability,
        cast(null as varchar) as note,
        unpivoted.source_line,
        unpivoted.source_file,
        unpivoted.file_sha256
    from unpivoted
    inner join dataset using (file_sha256)
)

select * from final
