-- Every figure of every version of every source, with its provenance: the audit trail behind all facts.
-- The facts use the latest versions; "as published on date D" is
-- `where loaded_at <= D and (superseded_at is null or superseded_at > D)`.
select
    figure_id || '@' || left(file_sha256, 12) as figure_version_id,
    figure_id,
    source_id,
    period_id,
    jurisdiction_id,
    metric,
    base_population,
    breakdown_dimension,
    breakdown_category,
    cast(value as double) as value,
    value_text,
    unit,
    qualifier,
    suppressed_below,
    scope,
    reliability,
    source_url,
    quote,
    note,
    source_file,
    source_line,
    file_sha256,
    source_version,
    is_latest_version,
    is_press_coverage,
    loaded_at,
    superseded_at
from {{ ref('int_figures__unioned') }}
