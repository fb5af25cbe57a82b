{{ config(alias='fact_provenance') }}
-- One row per fact row in the marts, tracing it to the document, page and sentence it came from and to the
-- exact file version (sha256) that was loaded.
with fact_rows as (
    select
        'fct_victims' as fact_table,
        figure_id,
        source_id,
        file_sha256
    from {{ ref('fct_victims') }}
    union all
    select
        'fct_case_outcomes' as fact_table,
        figure_id,
        source_id,
        file_sha256
    from {{ ref('fct_case_outcomes') }}
    union all
    select
        'fct_hotline_cases' as fact_table,
        figure_id,
        source_id,
        file_sha256
    from {{ ref('fct_hotline_cases') }}
    union all
    select
        'fct_hotline_signals' as fact_table,
        figure_id,
        source_id,
        file_sha256
    from {{ ref('fct_hotline_signals') }}
)

select
    fact_rows.fact_table,
    figures.figure_version_id,
    fact_rows.figure_id,
    fact_rows.source_id,
    figures.jurisdiction_id,
    figures.period_id,
    figures.metric,
    figures.base_population,
    figures.breakdown_dimension,
    figures.breakdown_category,
    figures.value,
    figures.value_text,
    figures.unit,
    figures.qualifier,
    figures.reliability,
    sources.publisher,
    sources.title as document_title,
    sources.document_type,
    sources.document_url,
    figures.source_url,
    figures.quote,
    figures.note,
    figures.source_file,
    figures.source_line,
    fact_rows.file_sha256,
    figures.source_version,
    figures.loaded_at
from fact_rows
inner join {{ ref('fct_report_figures') }} as figures using (figure_id, file_sha256)
inner join {{ ref('dim_source') }} as sources on fact_rows.source_id = sources.source_id
