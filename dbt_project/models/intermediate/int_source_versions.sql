-- Every version of every source (a report release or a hotline data file), in the order it was loaded.
-- The latest version feeds the facts; earlier ones stay queryable ("as published on date D").
with versions as (
    select
        release_id as source_id,
        file_sha256,
        min(loaded_at) as loaded_at
    from {{ ref('stg_report_releases__releases') }}
    group by all
    union all
    select
        dataset_id as source_id,
        file_sha256,
        min(loaded_at) as loaded_at
    from {{ ref('stg_hotline__source_datasets') }}
    group by all
)

select
    source_id,
    file_sha256,
    loaded_at,
    row_number() over by_load as source_version,
    lead(loaded_at) over by_load as superseded_at,
    lead(loaded_at) over by_load is null as is_latest_version
from versions
window by_load as (partition by source_id order by loaded_at, file_sha256)
