-- Each document or data set a figure was read from: a report release, or a hotline data file.
with releases as (
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
        file_sha256
    from {{ ref('stg_report_releases__releases') }}
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
        file_sha256
    from {{ ref('stg_hotline__source_datasets') }}
)

select * from releases
union all by name
select * from datasets
