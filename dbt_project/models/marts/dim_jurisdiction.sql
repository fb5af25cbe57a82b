select
    jurisdiction_id,
    jurisdiction_level,
    jurisdiction_name,
    state_postal,
    fips_code,
    iso_code,
    parent_jurisdiction_id
from {{ ref('jurisdictions') }}
