{{ config(alias='hotline_cases') }}
-- National Human Trafficking Hotline cases per jurisdiction (nation or state) and period: one row per question,
-- from the preferred source (macro source_rank); bi.hotline_cases_all_sources keeps every copy.
-- The columns are the ranked model's, fixed by this view's enforced contract.
select * from {{ ref('bi_hotline_cases_ranked') }}  -- noqa: AM04
where is_preferred
