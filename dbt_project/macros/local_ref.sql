{#-
    A ref without the database (catalog) name: "marts"."fct_victims" rather than "warehouse"."marts"."fct_victims".
    Views built on it resolve inside whichever DuckDB file holds them, so the published snapshot (another file,
    opened under another name) keeps working views.
-#}
{% macro local_ref(model_name) -%}
    {{ ref(model_name).include(database=false) }}
{%- endmacro %}
