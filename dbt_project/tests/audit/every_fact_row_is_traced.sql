{{ config(meta={'dagster': {'ref': {'name': 'audit_fact_provenance'}}}) }}
-- Every fact row has one provenance row: an auditor can trace any number in a mart to its document.
with facts as (
    select
        'fct_victims' as fact_table,
        count(*) as fact_rows
    from {{ ref('fct_victims') }}
    union all
    select
        'fct_case_outcomes' as fact_table,
        count(*) as fact_rows
    from {{ ref('fct_case_outcomes') }}
    union all
    select
        'fct_hotline_cases' as fact_table,
        count(*) as fact_rows
    from {{ ref('fct_hotline_cases') }}
    union all
    select
        'fct_hotline_signals' as fact_table,
        count(*) as fact_rows
    from {{ ref('fct_hotline_signals') }}
),

traced as (
    select
        fact_table,
        count(*) as provenance_rows
    from {{ ref('audit_fact_provenance') }}
    group by fact_table
)

select
    facts.fact_table,
    facts.fact_rows,
    coalesce(traced.provenance_rows, 0) as provenance_rows
from facts
left join traced using (fact_table)
where facts.fact_rows <> coalesce(traced.provenance_rows, 0)
