{{ config(alias='release_versions') }}
-- Every version of every source: when it was loaded, what replaced it, and how it compares with the first
-- version ("as published") and the latest one ("as corrected").
with versions as (
    select * from {{ ref('int_source_versions') }}
),

figures as (
    select
        source_id,
        file_sha256,
        count(*) as figure_count
    from {{ ref('int_figures__unioned') }}
    group by all
),

final as (
    select
        versions.source_id,
        versions.source_version,
        versions.file_sha256,
        versions.loaded_at,
        versions.superseded_at,
        versions.is_latest_version,
        versions.source_version = 1 as is_as_published,
        max(versions.source_version) over (partition by versions.source_id) as latest_version,
        min(versions.loaded_at) over (partition by versions.source_id) as first_published_loaded_at,
        coalesce(figures.figure_count, 0) as figure_count
    from versions
    left join figures using (source_id, file_sha256)
)

select
    final.*,
    sources.source_kind,
    sources.publisher,
    sources.title,
    sources.document_type,
    sources.release_date,
    sources.document_url
from final
left join {{ ref('dim_source') }} as sources using (source_id)
