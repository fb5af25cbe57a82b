-- Hotline signals (calls, texts, chats, e-mails, web forms) by period, jurisdiction and channel.
select
    {{ hotline_fact_columns(count_column='signal_count') }},
    breakdown_category as channel,
    note
from {{ ref('int_figures__unioned') }}
inner join {{ ref('metrics') }} using (metric)
where is_latest_version and fact_table = 'hotline_signals'
