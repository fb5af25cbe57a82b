{{ config(alias='conflict_register') }}
-- Figures on which two documents disagree (audit.conflict_register), for auditors' dashboards.
select
    cast(conflict_id as varchar) as conflict_id,
    cast(conflict_kind as varchar) as conflict_kind,
    cast(jurisdiction_id as varchar) as jurisdiction_id,
    cast(metric as varchar) as metric,
    cast(breakdown_dimension as varchar) as breakdown,
    cast(breakdown_category as varchar) as category,
    cast(unit as varchar) as unit,
    cast(source_a as varchar) as source_a,
    cast(period_a as varchar) as period_a,
    cast(value_a as double) as value_a,
    cast(source_b as varchar) as source_b,
    cast(period_b as varchar) as period_b,
    cast(value_b as double) as value_b,
    cast(explanation as varchar) as explanation,
    cast(source_url_a as varchar) as source_url_a,
    cast(source_url_b as varchar) as source_url_b
from {{ local_ref('audit_conflict_register') }}
