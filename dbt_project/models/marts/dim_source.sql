-- Each document or data set a figure was read from: a report release, or a hotline data file.
with release_sources as (
    select
        releases.release_id as source_id,
        'report_release' as source_kind,
        releases.publisher,
        releases.publisher_code,
        releases.title,
        releases.document_type,
        releases.release_date,
        releases.release_date_note,
        releases.release_year,
        releases.document_url,
        releases.document_url_note,
        releases.period_start,
        releases.period_end,
        releases.notes,
        cast(null as varchar) as obtained_from,
        releases.source_file,
        releases.file_sha256
    from {{ ref('stg_report_releases__releases') }} as releases
    inner join {{ ref('int_source_versions') }} as versions
        on releases.release_id = versions.source_id and releases.file_sha256 = versions.file_sha256
    where versions.is_latest_version
),

datasets as (
    select
        datasets.dataset_id as source_id,
        'hotline_dataset' as source_kind,
        datasets.publisher,
        'NHTH' as publisher_code,
        datasets.title,
        datasets.document_type,
        cast(null as date) as release_date,
        'Not recorded for this data set.' as release_date_note,
        cast(null as integer) as release_year,
        datasets.source_url as document_url,
        case when datasets.source_url is null then 'Compiled from several pages; each figure names its page.' end
            as document_url_note,
        cast(null as date) as period_start,
        cast(null as date) as period_end,
        datasets.notes,
        datasets.obtained_from,
        datasets.source_file,
        datasets.file_sha256
    from {{ ref('stg_hotline__source_datasets') }} as datasets
    inner join {{ ref('int_source_versions') }} as versions
        on datasets.dataset_id = versions.source_id and datasets.file_sha256 = versions.file_sha256
    where versions.is_latest_version
)

select
    combined.*,
    versions.source_version as latest_version,
    versions.loaded_at as latest_version_loaded_at
from (
    select * from release_sources
    union all by name
    select * from datasets
) as combined
inner join {{ ref('int_source_versions') }} as versions using (source_id, file_sha256)
