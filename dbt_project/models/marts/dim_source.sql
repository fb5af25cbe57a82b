-- Each document or data set a figure was read from: a report release, or a hotline data file.
with release_sources as (
    select
        release_id as source_id,
        'report_release' as source_kind,
        publisher,
        publisher_code,
        title,
        document_type,
        release_date,
        release_date_note,
        release_year,
        document_url,
        document_url_note,
        period_start,
        period_end,
        notes,
        cast(null as varchar) as obtained_from,
        source_file,
        releases.file_sha256
    from {{ ref('stg_report_releases__releases') }} as releases
    inner join {{ ref('int_source_versions') }} as versions
        on versions.source_id = releases.release_id and versions.file_sha256 = releases.file_sha256
    where versions.is_latest_version
),

datasets as (
    select
        dataset_id as source_id,
        'hotline_dataset' as source_kind,
        publisher,
        'NHTH' as publisher_code,
        title,
        document_type,
        cast(null as date) as release_date,
        'Not recorded for this data set.' as release_date_note,
        cast(null as integer) as release_year,
        source_url as document_url,
        case when source_url is null then 'Compiled from several pages; each figure names its page.' end
            as document_url_note,
        cast(null as date) as period_start,
        cast(null as date) as period_end,
        notes,
        obtained_from,
        source_file,
        datasets.file_sha256
    from {{ ref('stg_hotline__source_datasets') }} as datasets
    inner join {{ ref('int_source_versions') }} as versions
        on versions.source_id = datasets.dataset_id and versions.file_sha256 = datasets.file_sha256
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
