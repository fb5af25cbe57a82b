{#-
    Which copy answers a question when several sources give the same figure: the one rule, used by every bi view.
    Rank 1 is the preferred copy; the bi views show it, and the `<view>_all_sources` views keep every copy.

      1. the publisher's own table, data set or report before figures transcribed from it by others (compiled
         figures, press coverage): a compilation copies the hotline's state table, it does not outrank it;
      2. primary before secondary, derived and uncertain reliability;
      3. the latest version: the most recent release, then the most recently loaded file;
      and last the figure's own id, so that every build makes the same choice.

    question: the columns (of `figures`) that make two rows answers to the same question; figures: the alias of
    the fact rows (with reliability and tie_breaker); sources: the alias of marts.dim_source joined to them.
-#}
{% macro source_rank(question, figures, sources='sources', tie_breaker='figure_id') -%}
    row_number() over (
        partition by {% for column in question %}{{ figures }}.{{ column }}{{ ', ' if not loop.last }}{% endfor %}
        order by
            case when {{ sources }}.document_type in ('compiled_figures', 'press_article') then 2 else 1 end,
            case {{ figures }}.reliability
                when 'primary' then 1
                when 'secondary' then 2
                when 'derived' then 3
                else 4
            end,
            {{ sources }}.release_date desc nulls last,
            {{ sources }}.latest_version_loaded_at desc,
            {{ figures }}.{{ tie_breaker }}
    )
{%- endmacro %}


{#-
    The rows of `model` (a fact or mart) with their `source_rank` among the copies that answer the same `question`:
    what every bi view selects from before it keeps rank 1 (or every copy, in the `_all_sources` views).
-#}
{% macro ranked_figures(model, question, tie_breaker='figure_id') -%}
    select
        figures.*,
        {{ source_rank(question, figures='figures', tie_breaker=tie_breaker) }} as source_rank
    from {{ local_ref(model) }} as figures
    inner join {{ local_ref('dim_source') }} as sources using (source_id)
{%- endmacro %}
