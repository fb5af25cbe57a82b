{{ config(alias='sources') }}
-- The documents and data sets behind the figures, for attribution on dashboards.
select
    cast(source_id as varchar) as source_id,
    cast(publisher as varchar) as publisher,
    cast(title as varchar) as title,
    cast(document_type as varchar) as document_type,
    cast(release_date as date) as release_date,
    cast(document_url as varchar) as document_url,
    cast(latest_version as bigint) as latest_version,
    cast(latest_version_loaded_at as timestamp with time zone) as latest_version_loaded_at
from {{ local_ref('dim_source') }}
