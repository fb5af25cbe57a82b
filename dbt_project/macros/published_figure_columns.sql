{#-
    The fields every transcribed figure has, whether it was read from a report release or compiled from the
    hotline's pages, cleaned once for both staging models: an empty quote or note means none, and a figure that
    names no base population counts an unstated one.
-#}
{% macro published_figure_columns() -%}
    metric,
    coalesce(nullif(base_population, ''), 'not_stated') as base_population,
    breakdown_dimension,
    breakdown_category,
    value,
    value_text,
    suppressed_below,
    unit,
    qualifier,
    period_start,
    period_end,
    source_url,
    nullif(quote, '') as quote,
    reliability,
    nullif(note, '') as note,
    source_file,
    file_sha256,
    loaded_at
{%- endmacro %}
