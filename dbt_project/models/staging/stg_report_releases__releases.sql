select
    release_id,
    publisher,
    publisher_code,
    title,
    document_type,
    jurisdiction_id,
    release_date,
    release_date_note,
    release_year,
    period_start,
    period_end,
    document_url,
    document_url_note,
    notes,
    source_file,
    file_sha256
from {{ source('raw', 'report_releases') }}
