{#-
    No part of a breakdown exceeds the total of its group (same source, period, jurisdiction, base, ...).
    `group_by` lists the columns that identify a group; totals are rows whose breakdown_dimension is 'total'.
-#}
{% test parts_not_exceeding_total(model, column_name, group_by) %}
-- The model is read once into a CTE: with a `where` config dbt passes it as a subquery, which takes no alias.
with rows_tested as (
    select * from {{ model }}
),

totals as (
    select {{ group_by | join(', ') }}, {{ column_name }} as total_value
    from rows_tested
    where breakdown_dimension = 'total' and {{ column_name }} is not null
)
select parts.*, totals.total_value
from rows_tested as parts
inner join totals using ({{ group_by | join(', ') }})
where parts.breakdown_dimension <> 'total'
    and parts.{{ column_name }} > totals.total_value
{% endtest %}
