select
    figure_id,
    jurisdiction as jurisdiction_id,
    scope,
    source_line,
    dataset_id,
    {{ published_figure_columns() }}
from {{ source('raw', 'hotline_published_figures') }}
