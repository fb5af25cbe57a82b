select
    breakdown_category as trafficking_type_id,
    label as trafficking_type_label,
    sort_order
from {{ ref('breakdown_categories') }}
where breakdown_dimension = 'trafficking_type'
union all
select
    'all' as trafficking_type_id,
    'All types' as trafficking_type_label,
    0 as sort_order
