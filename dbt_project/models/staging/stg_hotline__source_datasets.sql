-- One row per version of a hotline data file: the provenance record shipped beside it.
{% set hotline_tables = [
    'hotline_state_calls_cases',
    'hotline_state_signals_cases',
    'hotline_national_signals_fy',
    'hotline_published_figures',
] %}
{% for table in hotline_tables %}
select distinct
    dataset_id,
    '{{ table }}' as raw_table,
    dataset_title as title,
    dataset_publisher as publisher,
    dataset_source_url as source_url,
    dataset_document_type as document_type,
    dataset_reliability as reliability,
    dataset_obtained_from as obtained_from,
    dataset_notes as notes,
    source_file,
    file_sha256,
    loaded_at
from {{ source('raw', table) }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
