select
    -- format, not lpad: lpad cuts longer numbers (a workbook release has tens of thousands of rows).
    release_id || '#' || format('{:03d}', figure_index) as figure_id,
    release_id,
    figure_index,
    jurisdiction_id,
    {{ published_figure_columns() }}
from {{ source('raw', 'report_figures') }}
