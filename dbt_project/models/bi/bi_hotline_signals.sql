{{ config(alias='hotline_signals') }}
-- Signals (calls, texts, chats, e-mails, web forms) the hotline received, per jurisdiction and period: one row per
-- question, from the preferred source (macro source_rank); bi.hotline_signals_all_sources keeps every copy.
-- The columns are the ranked model's, fixed by this view's enforced contract.
select * from {{ ref('bi_hotline_signals_ranked') }}  -- noqa: AM04
where is_preferred
