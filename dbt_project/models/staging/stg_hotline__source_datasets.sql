select
    dataset_id,
    raw_table,
    title,
    publisher,
    source_url,
    document_type,
    reliability,
    obtained_from,
    notes,
    source_file,
    file_sha256
from {{ source('raw', 'source_datasets') }}
