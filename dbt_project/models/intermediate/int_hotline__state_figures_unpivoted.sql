-- The hotline's state tables in both layouts, one figure per row. The 2012-2016 state pages count phone calls
-- (signals on the phone channel); the current statistics page counts all signals (every channel) and prints each
-- state's share of the national totals, kept beside the figure as published.
with calls_layout as (
    select * from {{ ref('stg_hotline__state_calls_cases') }}
),

signals_layout as (
    select * from {{ ref('stg_hotline__state_signals_cases') }}
),

dataset as (
    select * from {{ ref('stg_hotline__source_datasets') }}
    where raw_table in ('hotline_state_calls_cases', 'hotline_state_signals_cases')
),

unpivoted as (
    select
        calls_layout.jurisdiction_id,
        calls_layout.period_start,
        calls_layout.period_end,
        calls_layout.source_line,
        calls_layout.source_file,
        calls_layout.file_sha256,
        measure.*
    from calls_layout
    cross join
        lateral (
            values
            ('signals', 'channel', 'phone', calls_layout.phone_calls, cast(null as double)),
            ('cases', 'total', 'all', calls_layout.cases_reported, cast(null as double))
        ) as measure (metric, breakdown_dimension, breakdown_category, value, share_of_national_percent)

    union all

    select
        signals_layout.jurisdiction_id,
        signals_layout.period_start,
        signals_layout.period_end,
        signals_layout.source_line,
        signals_layout.source_file,
        signals_layout.file_sha256,
        measure.*
    from signals_layout
    cross join lateral (
        values
        (
            'signals', 'channel', 'all', signals_layout.signals_received,
            signals_layout.signals_percent_of_total
        ),
        ('cases', 'total', 'all', signals_layout.cases_identified, signals_layout.cases_percent_of_total)
    ) as measure (metric, breakdown_dimension, breakdown_category, value, share_of_national_percent)
),

final as (
    select
        -- <dataset>:<jurisdiction>:<year>:<metric>, the period spelled out where it is not a calendar year.
        dataset.dataset_id || ':' || unpivoted.jurisdiction_id || ':'
        || case
            when
                unpivoted.period_start = make_date(year(unpivoted.period_start), 1, 1)
                and unpivoted.period_end = make_date(year(unpivoted.period_start), 12, 31)
                then strftime(unpivoted.period_start, '%Y')
            else strftime(unpivoted.period_start, '%Y-%m-%d') || '/' || strftime(unpivoted.period_end, '%Y-%m-%d')
        end
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
        unpivoted.share_of_national_percent,
        unpivoted.source_line,
        unpivoted.source_file,
        unpivoted.file_sha256
    from unpivoted
    inner join dataset using (file_sha256)
)

select * from final
