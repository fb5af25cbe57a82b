{{ config(alias='breakdown_reconciliations') }}
-- Where a source gives a total but only some parts of a breakdown, the rest is implied (total - parts given).
-- If another source gives the same total and the missing parts, the implied rest can be checked against them:
-- e.g. coverage saying "357 victims, 317 of them sex trafficking" leaves 40, which the release's 33 labor and
-- 7 sex-and-labor victims explain. Figures that reconcile are not conflicts; those that do not are.
with figures as (
    select * from {{ ref('fct_report_figures') }}
    where is_latest_version and unit = 'count' and value is not null
),

required_parts as (
    select
        breakdown_dimension,
        breakdown_category
    from {{ ref('breakdown_categories') }}
    where required_for_completeness
),

totals as (
    select
        source_id,
        jurisdiction_id,
        period_id,
        metric,
        base_population,
        value as total_value,
        figure_id
    from figures
    where breakdown_dimension = 'total'
),

-- Per source and breakdown: the parts given and which required parts are missing.
partial_breakdowns as (
    select
        parts.source_id,
        parts.jurisdiction_id,
        parts.period_id,
        parts.metric,
        parts.base_population,
        parts.breakdown_dimension,
        sum(parts.value) as sum_of_given_parts,
        list(parts.breakdown_category order by parts.breakdown_category) as given_categories
    from figures as parts
    where parts.breakdown_dimension in (select required_parts.breakdown_dimension from required_parts)
    group by all
),

missing as (
    select
        partial_breakdowns.*,
        list(required_parts.breakdown_category order by required_parts.breakdown_category) as missing_categories
    from partial_breakdowns
    inner join required_parts
        on
            partial_breakdowns.breakdown_dimension = required_parts.breakdown_dimension
            and not list_contains(partial_breakdowns.given_categories, required_parts.breakdown_category)
    group by all
),

implied as (
    select
        missing.*,
        totals.total_value,
        totals.figure_id as total_figure_id,
        totals.total_value - missing.sum_of_given_parts as implied_rest
    from missing
    inner join totals
        on
            missing.source_id = totals.source_id
            and missing.jurisdiction_id = totals.jurisdiction_id
            and missing.period_id = totals.period_id
            and missing.metric = totals.metric
            and totals.base_population is not distinct from missing.base_population
),

-- Other sources with the same total that give every missing part.
explained as (
    select
        implied.source_id,
        implied.period_id,
        implied.jurisdiction_id,
        implied.metric,
        implied.base_population,
        implied.breakdown_dimension,
        other.source_id as other_source_id,
        sum(other.value) as other_sum_of_missing_parts,
        count(*) as other_parts_given
    from implied
    inner join totals as other_total
        on
            implied.source_id <> other_total.source_id
            and implied.jurisdiction_id = other_total.jurisdiction_id
            and implied.period_id = other_total.period_id
            and implied.metric = other_total.metric
            and other_total.base_population is not distinct from implied.base_population
            and implied.total_value = other_total.total_value
    inner join figures as other
        on
            other_total.source_id = other.source_id
            and implied.jurisdiction_id = other.jurisdiction_id
            and implied.period_id = other.period_id
            and implied.metric = other.metric
            and other.base_population is not distinct from implied.base_population
            and implied.breakdown_dimension = other.breakdown_dimension
            and list_contains(implied.missing_categories, other.breakdown_category)
    group by all
    having count(*) = len(any_value(implied.missing_categories))
)

select
    implied.source_id,
    implied.jurisdiction_id,
    implied.period_id,
    implied.metric,
    implied.base_population,
    implied.breakdown_dimension,
    implied.total_figure_id,
    implied.total_value,
    implied.given_categories,
    implied.sum_of_given_parts,
    implied.missing_categories,
    implied.implied_rest,
    explained.other_source_id,
    explained.other_sum_of_missing_parts,
    case
        when explained.other_source_id is null then 'not_checkable'
        when explained.other_sum_of_missing_parts = implied.implied_rest then 'reconciles'
        else 'does_not_reconcile'
    end as reconciliation
from implied
left join explained
    on
        implied.source_id = explained.source_id
        and implied.period_id = explained.period_id
        and implied.jurisdiction_id = explained.jurisdiction_id
        and implied.metric = explained.metric
        and explained.base_population is not distinct from implied.base_population
        and implied.breakdown_dimension = explained.breakdown_dimension
