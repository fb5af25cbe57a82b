"""The dbt project as Dagster assets: one DbtProject handle, one translator, the audit step, model metadata."""
