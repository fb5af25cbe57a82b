{{ config(alias='hotline_signals_all_sources') }}
-- Every copy of every hotline signal figure, for auditors: source_rank 1 (is_preferred) is the row
-- bi.hotline_signals shows, the others are the same question answered by another source.
-- The columns are the ranked model's, fixed by this view's enforced contract.
select * from {{ ref('bi_hotline_signals_ranked') }}  -- noqa: AM04
