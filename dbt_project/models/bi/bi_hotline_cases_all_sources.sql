{{ config(alias='hotline_cases_all_sources') }}
-- Every copy of every hotline case figure, for auditors: source_rank 1 (is_preferred) is the row bi.hotline_cases
-- shows, the others are the same question answered by another source.
-- The columns are the ranked model's, fixed by this view's enforced contract.
select * from {{ ref('bi_hotline_cases_ranked') }}  -- noqa: AM04
