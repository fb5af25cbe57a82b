-- Every published figure from every source, in one shape: the base of all facts and of the audit trail.
with release_figures as (
    select
        figures.figure_id,
        release_id as source_id,
        coalesce(figures.jurisdiction_id, releases.jurisdiction_id) as jurisdiction_id,
        figures.period_start,
        figures.period_end,
        figures.metric,
        figures.base_population,
        figures.breakdown_dimension,
        figures.breakdown_category,
        figures.value,
        figures.value_text,
        figures.suppressed_below,
        figures.unit,
        figures.qualifier,
        releases.scope,
        figures.source_url,
        figures.quote,
        figures.reliability,
        figures.note,
        cast(null as integer) as source_line,
        figures.source_file,
        figures.file_sha256,
        -- News coverage quotes a release: a source of its own for the audit, never a fact.
        releases.document_type = 'press_article' as is_press_coverage
    from {{ ref('stg_report_releases__figures') }} as figures
    inner join {{ ref('stg_report_releases__releases') }} as releases using (release_id, file_sha256)
),

hotline_published as (
    select
        figures.figure_id,
        datasets.dataset_id as source_id,
        figures.jurisdiction_id,
        figures.period_start,
        figures.period_end,
        figures.metric,
        figures.base_population,
        figures.breakdown_dimension,
        figures.breakdown_category,
        figures.value,
        figures.value_text,
        figures.suppressed_below,
        figures.unit,
        figures.qualifier,
        figures.scope,
        figures.source_url,
        figures.quote,
        figures.reliability,
        figures.note,
        figures.source_line,
        figures.source_file,
        figures.file_sha256,
        false as is_press_coverage
    from {{ ref('stg_hotline__published_figures') }} as figures
    inner join {{ ref('stg_hotline__source_datasets') }} as datasets using (file_sha256)
),

final as (
    select * from release_figures
    union all by name
    select * from hotline_published
    union all by name
    select * from {{ ref('int_hotline__state_figures_unpivoted') }}
    union all by name
    select * from {{ ref('int_hotline__national_signals_unpivoted') }}
)

select
    final.figure_id,
    final.source_id,
    final.jurisdiction_id,
    final.period_start,
    final.period_end,
    final.metric,
    final.base_population,
    final.breakdown_dimension,
    final.breakdown_category,
    final.value,
    final.value_text,
    final.suppressed_below,
    final.unit,
    final.qualifier,
    final.scope,
    final.source_url,
    final.quote,
    final.reliability,
    final.note,
    final.source_line,
    final.source_file,
    final.file_sha256,
    final.share_of_national_percent,
    coalesce(final.is_press_coverage, false) as is_press_coverage,
    -- A publisher's file can repeat a key (UNODC: unnamed "other forms" rows): kept, but never a fact.
    coalesce(final.note like '[repeated in source]%', false) as is_repeated_in_source,
    strftime(final.period_start, '%Y-%m-%d') || '/' || strftime(final.period_end, '%Y-%m-%d') as period_id,
    versions.source_version,
    versions.is_latest_version,
    versions.loaded_at,
    versions.superseded_at
from final
inner join {{ ref('int_source_versions') }} as versions using (source_id, file_sha256)
