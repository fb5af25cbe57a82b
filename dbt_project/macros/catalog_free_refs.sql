{#-
    ref() and source() without the database (catalog) name: "marts"."fct_victims", not "warehouse"."marts"."fct_victims".
    A view built on them resolves inside whichever database holds it: the candidate file, the published snapshot
    (another file, opened under another name) and the DuckLake catalog BI readers attach under their own alias.
-#}
{% macro ref() -%}
    {%- do return(builtins.ref(*varargs, **kwargs).include(database=false)) -%}
{%- endmacro %}

{% macro source(source_name, table_name) -%}
    {%- do return(builtins.source(source_name, table_name).include(database=false)) -%}
{%- endmacro %}
