{#- Values come from one list of the project's code lists (seeds/code_lists.csv). -#}
{% test in_code_list(model, column_name, list_name) %}
select {{ column_name }}
from {{ model }}
where {{ column_name }} is not null
    and {{ column_name }} not in (
        select code from {{ ref('code_lists') }} where list_name = '{{ list_name }}'
    )
{% endtest %}
