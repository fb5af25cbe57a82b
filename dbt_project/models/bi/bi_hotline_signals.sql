{{ config(alias='hotline_signals') }}
-- Signals (calls, texts, chats, e-mails, web forms) the hotline received, per jurisdiction and period.
select
    cast(signals.figure_id as varchar) as figure_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_type as varchar) as period_type,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(signals.measure as varchar) as measure,
    cast(signals.channel as varchar) as channel,
    cast(signals.scope as varchar) as scope,
    cast(signals.signal_count as bigint) as signals,
    cast(signals.qualifier = 'not_published' as boolean) as is_not_published,
    cast(signals.reliability as varchar) as reliability,
    cast(signals.source_url as varchar) as source_url
from {{ local_ref('fct_hotline_signals') }} as signals
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
