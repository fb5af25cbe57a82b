{#-
    The columns fct_hotline_cases and fct_hotline_signals share: the measure, the count (whole cases or signals,
    hence bigint), the share the hotline printed beside it, and the figure's provenance. Each mart adds the
    columns of its own breakdown; the enforced contract in its YAML fixes the order.
-#}
{% macro hotline_fact_columns(count_column) -%}
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    metric as measure,
    scope,
    cast(value as bigint) as {{ count_column }},
    share_of_national_percent,
    qualifier,
    value_text,
    reliability,
    source_url,
    quote,
    source_version,
    file_sha256
{%- endmacro %}
