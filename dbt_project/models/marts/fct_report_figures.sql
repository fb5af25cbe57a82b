-- Every figure of every source, with its provenance: the audit trail behind all other facts.
select
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
    file_sha256
from {{ ref('int_figures__unioned') }}
