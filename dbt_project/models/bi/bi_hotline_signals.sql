{{ config(alias='hotline_signals') }}
-- Signals (calls, texts, chats, e-mails, web forms) the hotline received, per jurisdiction and period.
select
    cast(signals.figure_id as varchar) as figure_id,
    cast(signals.jurisdiction_id as varchar) as jurisdiction_id,
    cast(jurisdictions.jurisdiction_name as varchar) as jurisdiction_name,
    cast(jurisdictions.jurisdiction_level as varchar) as jurisdiction_level,
    cast(jurisdictions.state_postal as varchar) as state_postal,
    cast(periods.period_label as varchar) as period_label,
    cast(periods.period_type as varchar) as period_type,
    cast(periods.period_start as date) as period_start,
    cast(periods.period_end as date) as period_end,
    cast(signals.measure as varchar) as measure,
    cast(signals.channel as varchar) as channel,
    cast(signals.scope as varchar) as scope,
    cast(signals.signal_count as bigint) as signals,
    cast(signals.share_of_national_percent as double) as share_of_national_percent,
    cast(signals.qualifier as varchar) as qualifier,
    cast(signals.qualifier = 'not_published' as boolean) as is_not_published,
    cast(signals.reliability as varchar) as reliability,
    cast(signals.source_url as varchar) as source_url
from {{ local_ref('fct_hotline_signals') }} as signals
inner join {{ local_ref('dim_period') }} as periods using (period_id)
inner join {{ local_ref('dim_jurisdiction') }} as jurisdictions using (jurisdiction_id)
