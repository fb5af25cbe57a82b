{{ config(alias='conflict_register') }}
-- Figures on which two sources disagree, with the kind of disagreement. Both sides are kept as published;
-- the register only points at them. Kinds:
--   scope   same figure and period, different values, and the sources say they count different things
--           (e.g. hotline only vs hotline plus the BeFree textline);
--   value   same figure and period, different values, no stated difference of scope;
--   period  the same count attributed to different (overlapping) periods;
--   breakdown_rest  a source's parts leave a rest that another source's parts for the same total contradict.
-- Figures that reconcile (a lower bound the other value meets, a rest the other source's parts explain) are
-- not conflicts.
with figures as (
    select
        figures.*,
        periods.period_start,
        periods.period_end
    from {{ ref('fct_report_figures') }} as figures
    inner join {{ ref('dim_period') }} as periods using (period_id)
    where figures.is_latest_version and figures.value is not null
),

pairs as (
    select
        a.figure_version_id as figure_a,
        b.figure_version_id as figure_b,
        a.jurisdiction_id,
        a.metric,
        a.base_population,
        a.breakdown_dimension,
        a.breakdown_category,
        a.unit,
        a.source_id as source_a,
        b.source_id as source_b,
        a.period_id as period_a,
        b.period_id as period_b,
        a.value as value_a,
        b.value as value_b,
        a.scope as scope_a,
        b.scope as scope_b,
        a.qualifier as qualifier_a,
        b.qualifier as qualifier_b,
        a.period_id = b.period_id as same_period,
        a.period_start <= b.period_end and b.period_start <= a.period_end as periods_overlap
    from figures as a
    inner join figures as b
        -- Two documents: two sources, or two pages of a compiled figure set.
        on
            a.figure_version_id < b.figure_version_id
            and (a.source_id <> b.source_id or a.source_url is distinct from b.source_url)
            and a.jurisdiction_id = b.jurisdiction_id
            and a.metric = b.metric
            and a.base_population is not distinct from b.base_population
            and a.breakdown_dimension = b.breakdown_dimension
            and a.breakdown_category = b.breakdown_category
            and a.unit = b.unit
),

-- A lower bound ("more than 25%") agrees with any value above it.
bound_agrees as (
    select
        *,
        (qualifier_a in ('more_than', 'at_least') and value_b >= value_a)
        or (qualifier_b in ('more_than', 'at_least') and value_a >= value_b) as reconciled_by_bound
    from pairs
),

figure_conflicts as (
    select
        case
            when
                same_period and (scope_a is distinct from scope_b)
                and coalesce(scope_a, 'not_stated') <> 'not_stated'
                and coalesce(scope_b, 'not_stated') <> 'not_stated'
                then 'scope'
            when same_period then 'value'
            else 'period'
        end as conflict_kind,
        *
    from bound_agrees
    where
        (same_period and value_a <> value_b and not reconciled_by_bound)
        -- The same count, given for overlapping but different periods: one source has the period wrong.
        or (not same_period and periods_overlap and unit = 'count' and value_a = value_b)
),

rest_conflicts as (
    select
        'breakdown_rest' as conflict_kind,
        total_figure_id as figure_a,
        cast(null as varchar) as figure_b,
        jurisdiction_id,
        metric,
        base_population,
        breakdown_dimension,
        array_to_string(missing_categories, '+') as breakdown_category,
        'count' as unit,
        source_id as source_a,
        other_source_id as source_b,
        period_id as period_a,
        period_id as period_b,
        implied_rest as value_a,
        other_sum_of_missing_parts as value_b,
        cast(null as varchar) as scope_a,
        cast(null as varchar) as scope_b
    from {{ ref('audit_breakdown_reconciliations') }}
    where reconciliation = 'does_not_reconcile'
),

combined as (
    select
        conflict_kind,
        figure_a,
        figure_b,
        jurisdiction_id,
        metric,
        base_population,
        breakdown_dimension,
        breakdown_category,
        unit,
        source_a,
        source_b,
        period_a,
        period_b,
        value_a,
        value_b,
        scope_a,
        scope_b
    from figure_conflicts
    union all
    select * from rest_conflicts
)

select
    md5(concat_ws(
        '|', combined.conflict_kind, combined.figure_a, combined.figure_b, combined.source_a, combined.source_b,
        combined.breakdown_category
    )) as conflict_id,
    combined.conflict_kind,
    combined.jurisdiction_id,
    combined.metric,
    combined.base_population,
    combined.breakdown_dimension,
    combined.breakdown_category,
    combined.unit,
    combined.source_a,
    combined.period_a,
    combined.value_a,
    combined.scope_a,
    combined.figure_a,
    a.quote as quote_a,
    a.source_url as source_url_a,
    combined.source_b,
    combined.period_b,
    combined.value_b,
    combined.scope_b,
    combined.figure_b,
    b.quote as quote_b,
    b.source_url as source_url_b,
    case combined.conflict_kind
        when 'scope'
            then
                'Same period, different values: the sources count different things (' || combined.scope_a
                || ' vs ' || combined.scope_b || ').'
        when 'value' then 'Same figure and period, different values.'
        when 'period'
            then
                'The same count is given for different periods (' || combined.period_a || ' vs '
                || combined.period_b || ').'
        when 'breakdown_rest'
            then
                'The parts ' || combined.source_a || ' gives leave ' || combined.value_a
                || ' for ' || combined.breakdown_category || '; ' || combined.source_b || ' gives '
                || combined.value_b || '.'
    end as explanation
from combined
left join {{ ref('fct_report_figures') }} as a on combined.figure_a = a.figure_version_id
left join {{ ref('fct_report_figures') }} as b on combined.figure_b = b.figure_version_id
