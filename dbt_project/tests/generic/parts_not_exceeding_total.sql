{#-
    No part of a breakdown exceeds the total of its group (same source, period, jurisdiction, base, ...).
    `group_by` lists the columns that identify a group; totals are rows whose breakdown_dimension is 'total'.
-#}
{% test parts_not_exceeding_total(model, column_name, group_by) %}
with totals as (
    select {{ group_by | join(', ') }}, {{ column_name }} as total_value
    from {{ model }}
    where breakdown_dimension = 'total' and {{ column_name }} is not null
)
select parts.*, totals.total_value
from {{ model }} as parts
inner join totals using ({{ group_by | join(', ') }})
where parts.breakdown_dimension <> 'total'
    and parts.{{ column_name }} > totals.total_value
{% endtest %}
