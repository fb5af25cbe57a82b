{{ config(alias='load_log') }}
-- Every attempt to load a validated file version into the raw tables, with its outcome and Dagster run.
select
    log.load_id,
    log.source_kind,
    log.partition_key,
    log.raw_tables,
    log.file_path,
    log.file_sha256,
    log.row_count,
    log.outcome,
    log.loaded_at,
    log.run_id
from {{ ref('stg_ingest__load_log') }} as log
