-- Hotline signals (calls, texts, chats, e-mails, web forms) by period, jurisdiction and channel.
select
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    metric as measure,
    breakdown_category as channel,
    scope,
    cast(value as bigint) as signal_count,
    share_of_national_percent,
    qualifier,
    value_text,
    reliability,
    source_url,
    quote,
    note,
    source_version,
    file_sha256
from {{ ref('int_figures__unioned') }}
inner join {{ ref('metrics') }} using (metric)
where is_latest_version and fact_table = 'hotline_signals'
