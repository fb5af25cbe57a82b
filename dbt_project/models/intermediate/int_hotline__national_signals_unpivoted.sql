-- Polaris' fiscal-year series as one figure per row. Substantive signals were first published for FY2018:
-- earlier years keep a row with an empty value and the qualifier not_published, so the gap stays visible.
with fiscal_years as (
    select * from {{ ref('stg_hotline__national_signals_fy') }}
),

dataset as (
    select * from {{ ref('stg_hotline__source_datasets') }}
    where raw_table = 'hotline_national_signals_fy'
),

unpivoted as (
    select
        fiscal_years.*,
        measure.metric,
        measure.breakdown_dimension,
        measure.breakdown_category,
        measure.value
    from fiscal_years
    cross join lateral (
        values
        ('signals', 'channel', 'all', fiscal_years.total_signals),
        ('substantive_signals', 'channel', 'all', fiscal_years.substantive_signals),
        ('signals_from_potential_victims', 'channel', 'all', fiscal_years.signals_from_potential_victims),
        ('situations', 'total', 'all', fiscal_years.potential_situations_identified)
    ) as measure (metric, breakdown_dimension, breakdown_category, value)
),

final as (
    select
        dataset.dataset_id || ':FY' || unpivoted.fiscal_year || ':' || unpivoted.metric as figure_id,
        dataset.dataset_id as source_id,
        'US' as jurisdiction_id,
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
        case when unpivoted.value is null then 'not_published' else 'exact' end as qualifier,
        'not_stated' as scope,
        dataset.source_url,
        cast(null as varchar) as quote,
        dataset.reliability,
        case
            when unpivoted.value is null
                then 'Not published for FY' || unpivoted.fiscal_year || ' (the series starts in FY2018).'
        end as note,
        unpivoted.source_line,
        unpivoted.source_file,
        unpivoted.file_sha256
    from unpivoted
    inner join dataset using (file_sha256)
)

select * from final
