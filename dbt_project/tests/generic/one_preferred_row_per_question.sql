{#-
    Among the rows a bi view marks is_preferred, each question has one answer (macro source_rank). The question is
    given in columns of the view, or, with `figures` (a fact table joined on figure_id), in the fact's codes: for
    views that show labels where several codes share one (bi.victim_figures shows 'All' for many categories).
-#}
{% test one_preferred_row_per_question(model, question, figures=none) %}
{%- set owner = 'facts' if figures else 'answers' -%}
select
    {% for column in question %}{{ owner }}.{{ column }}, {% endfor %}count(*) as preferred_rows
from {{ model }} as answers
{% if figures -%}
    inner join {{ figures }} as facts on answers.figure_id = facts.figure_id
{% endif -%}
where answers.is_preferred
group by all
having count(*) > 1
{% endtest %}
