{#-
    Where every required part of a breakdown dimension is present (seeds/breakdown_categories.csv,
    required_for_completeness), the parts add up to the group's total. Optional parts (e.g. type unknown)
    count towards the sum when published.
-#}
{% test parts_sum_to_total(model, column_name, group_by, dimensions) %}
-- The model is read once into a CTE: with a `where` config dbt passes it as a subquery, which takes no alias.
with rows_tested as (
    select * from {{ model }}
),

required as (
    select breakdown_dimension, count(*) as required_parts
    from {{ ref('breakdown_categories') }}
    where required_for_completeness
    group by breakdown_dimension
),

parts as (
    select
        {{ group_by | join(', ') }},
        breakdown_dimension,
        sum({{ column_name }}) as sum_of_parts,
        count(*) filter (
            where breakdown_category in (
                select breakdown_category from {{ ref('breakdown_categories') }} as c
                where c.breakdown_dimension = m.breakdown_dimension and c.required_for_completeness
            )
        ) as required_parts_present
    from rows_tested as m
    where breakdown_dimension in ('{{ dimensions | join("', '") }}')
        and {{ column_name }} is not null
    group by {{ group_by | join(', ') }}, breakdown_dimension
),

totals as (
    select {{ group_by | join(', ') }}, {{ column_name }} as total_value
    from rows_tested
    where breakdown_dimension = 'total' and {{ column_name }} is not null
)

select parts.*, totals.total_value
from parts
inner join required using (breakdown_dimension)
inner join totals using ({{ group_by | join(', ') }})
where parts.required_parts_present = required.required_parts
    and parts.sum_of_parts <> totals.total_value
{% endtest %}
