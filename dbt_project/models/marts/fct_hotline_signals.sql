-- Hotline signals (calls, texts, chats, e-mails, web forms) by period, jurisdiction and channel.

-- The measures the metrics seed files under this fact table.
with fact_metrics as (
    select metric from {{ ref('metrics') }}
    where fact_table = 'hotline_signals'
)

select
    {{ hotline_fact_columns(count_column='signal_count') }},
    breakdown_category as channel,
    note
from {{ ref('int_figures__unioned') }}
where
    is_latest_version
    and metric in (select fact_metrics.metric from fact_metrics)
