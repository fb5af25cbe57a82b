-- Demographic breakdowns of victims and cases: gender, age group, nationality, residence.
select
    breakdown_dimension || ':' || breakdown_category as demographic_id,
    breakdown_dimension as demographic_dimension,
    breakdown_category as demographic_category,
    label as demographic_label,
    sort_order
from {{ ref('breakdown_categories') }}
where breakdown_dimension in ('gender', 'age_group', 'nationality', 'residence', 'newness')
