"""UNODC Global Report on Trafficking in Persons (GLOTIP) data workbook -> report-release figures.

The workbook (`data_glotip.xlsx`) has two banner rows ("UNODC", the release date), a header row and one row per
figure: country, indicator, breakdown (form of exploitation, citizenship, country of repatriation), sex, age,
year and `txtVALUE`, a TEXT value with thousands separators ("1,521") or a suppressed small value ("<5").
Everything is vectorised: the workbook has about 47,000 rows and a release must stay cheap to parse.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.parsers.errors import SourceFileError, raise_first_invalid
from orchestration.parsers.values import parse_values

if TYPE_CHECKING:
    import pandas as pd

HEADER = (
    "Iso3_code",
    "Country",
    "Region",
    "Subregion",
    "Indicator",
    "Dimension",
    "Category",
    "Sex",
    "Age",
    "Year",
    "Unit of measurement",
    "txtVALUE",
    "Source",
)
HEADER_ROW = 3  # 1-based sheet row; rows 1-2 are banners
RELEASE_DATE_CELL = "A2"

# Indicator -> (metric, base population). Persons prosecuted/convicted are case outcomes of their own.
INDICATORS = {
    "Detected trafficking victims": ("victims", "victims_detected"),
    "Persons prosecuted": ("persons_prosecuted", "not_stated"),
    "Persons convicted": ("persons_convicted", "not_stated"),
    "Persons brought into formal contact": ("persons_formal_contact", "not_stated"),
    "Offences of trafficking in persons": ("offences", "not_stated"),
}
FORMS = {"Sexual exploitation": "sex", "Forced labour": "labor", "Other forms of exploitation": "other"}
SEXES = {"Female": "female", "Male": "male", "Other": "other", "Unknown": "unknown"}
AGES = {"0 to 17 years": "minor", "18 years or over": "adult", "Unknown": "unknown"}
# Free-text categories, kept as published (e.g. "Nigeria", "Abroad", "97 albanian").
OPEN_DIMENSIONS = {"by citizenship": "citizenship", "by country of repatriation": "repatriation_country"}
# The export repeats some keys (several unnamed "other forms" per country and year, a few totals): all rows are
# kept, none is chosen, and each says so. The facts leave them out; fct_report_figures and the audit keep them.
REPEATED_NOTE = "[repeated in source]"
NOT_STATED = "(not stated)"
_ISO3 = re.compile(r"^[A-Z]{3}$")
# The warehouse already knows the United States as `US` (the hotline's national figures).
JURISDICTION_ALIASES = {"USA": "US"}


def jurisdiction_id(iso3: object, country: object) -> str:
    """The warehouse's id for a GLOTIP country: its ISO3 code, or `UNODC-<NAME>` where the workbook has none."""
    code = str(iso3).strip() if isinstance(iso3, str) else ""
    if _ISO3.match(code):
        return JURISDICTION_ALIASES.get(code, code)
    name = str(country) if isinstance(country, str) else code
    return "UNODC-" + re.sub(r"[^A-Z0-9]+", "-", name.upper()).strip("-")


def read_workbook(path: Path) -> tuple[pd.DataFrame, str | None]:
    """The data rows as text (with their sheet row numbers) and the banner's release date."""
    import numpy as np
    import openpyxl  # imported here: only this layout needs it
    import pandas as pd

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or mislabelled file
        raise SourceFileError(
            path, None, f"not a readable .xlsx workbook ({exc})", "the UNODC GLOTIP workbook"
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        banner = [next(rows, ()) for _ in range(HEADER_ROW - 1)]
        header = tuple(str(c).strip() if c is not None else "" for c in next(rows, ()))[: len(HEADER)]
        if header != HEADER:
            found = ", ".join(header) if any(header) else "an empty row"
            raise SourceFileError(
                path, f"row {HEADER_ROW} (header)", f"found {found}", f"the header {', '.join(HEADER)}"
            )
        data = [row[: len(HEADER)] for row in rows if any(cell is not None for cell in row)]
    finally:
        workbook.close()
    frame = pd.DataFrame(data, columns=list(HEADER), dtype=object)
    frame.insert(0, "sheet_row", np.arange(HEADER_ROW + 1, HEADER_ROW + 1 + len(frame)))
    release_date = banner[1][0] if len(banner) > 1 and banner[1] else None
    return frame, str(release_date) if release_date is not None else None


def _unexpected(path: Path, frame: pd.DataFrame, bad: pd.Series, field: str, expected: str) -> None:
    raise_first_invalid(path, bad, frame[field], lambda i: f"row {frame['sheet_row'].iloc[i]}", field, expected)


def _breakdowns(path: Path, frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """One breakdown per row: parts joined with '+' (e.g. `trafficking_type+gender`, `sex+female`)."""
    import numpy as np
    import pandas as pd

    dimension = frame["Dimension"].astype(str)
    known = dimension.isin(["Total", "by form of exploitation", *OPEN_DIMENSIONS])
    _unexpected(
        path, frame, ~known, "Dimension", "Total, by form of exploitation, by citizenship or by country of repatriation"
    )
    form = frame["Category"].where(dimension == "by form of exploitation").map(FORMS)
    _unexpected(path, frame, (dimension == "by form of exploitation") & form.isna(), "Category", ", ".join(FORMS))
    sex = frame["Sex"].map(SEXES)
    _unexpected(path, frame, (frame["Sex"] != "Total") & sex.isna(), "Sex", "Total, " + ", ".join(SEXES))
    age = frame["Age"].map(AGES)
    _unexpected(path, frame, (frame["Age"] != "Total") & age.isna(), "Age", "Total, " + ", ".join(AGES))
    open_dimension = dimension.map(OPEN_DIMENSIONS)
    # A few citizenship rows have no category: kept as "(not stated)", never mistaken for a total.
    category_text = frame["Category"].map(lambda v: str(v).strip() if v is not None else "")
    open_category = category_text.where(category_text != "", NOT_STATED).where(open_dimension.notna())
    parts = [
        ("trafficking_type", form),
        ("gender", sex),
        ("age_group", age),
        (None, open_category),
    ]
    dimensions = pd.Series("", index=frame.index, dtype=object)
    categories = pd.Series("", index=frame.index, dtype=object)
    for name, values in parts:
        present = values.notna()
        names = open_dimension if name is None else pd.Series(name, index=frame.index)
        glue = np.where(dimensions == "", "", "+")
        dimensions = dimensions.where(~present, dimensions + glue + names.astype(str))
        categories = categories.where(~present, categories + glue + values.astype(str))
    total = dimensions == ""
    return dimensions.where(~total, "total"), categories.where(~total, "all")


def _values(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    values = parse_values(frame["txtVALUE"])
    expected = 'a count such as 1,521 or a suppressed value such as "<5"'
    _unexpected(path, frame.assign(txtVALUE=values["value_text"]), ~values["valid"], "txtVALUE", expected)
    return values.drop(columns="valid")


def parse_glotip_figures(path: Path, release: dict, defaults: dict) -> pd.DataFrame:
    """Figures of the workbook in the raw `report_figures` shape; raise SourceFileError naming row and field."""
    import pandas as pd

    frame, banner_date = read_workbook(path)
    if frame.empty:
        raise SourceFileError(path, None, "the workbook has no data rows", "one row per figure below the header")
    expected_date = release["release_date"].strftime("%d/%m/%Y") if release["release_date"] else None
    if banner_date and expected_date and banner_date.split()[0] not in (expected_date, str(release["release_date"])):
        raise SourceFileError(
            path,
            f"cell {RELEASE_DATE_CELL}",
            f"the workbook says released {banner_date}",
            f"{expected_date} (release_date in the provenance file)",
        )
    indicator = frame["Indicator"].map(INDICATORS)
    _unexpected(path, frame, indicator.isna(), "Indicator", ", ".join(INDICATORS))
    _unexpected(path, frame, frame["Unit of measurement"] != "Counts", "Unit of measurement", "Counts")
    years = pd.to_numeric(frame["Year"], errors="coerce")
    _unexpected(path, frame, years.isna() | (years < 1990) | (years > dt.date.today().year), "Year", "a year")
    dimensions, categories = _breakdowns(path, frame)
    figures = pd.DataFrame(
        {
            "release_id": release["release_id"],
            "figure_index": frame["sheet_row"].astype(int),
            "jurisdiction_id": [
                jurisdiction_id(i, c) for i, c in zip(frame["Iso3_code"], frame["Country"], strict=True)
            ],
            "metric": indicator.str[0],
            "base_population": indicator.str[1],
            "breakdown_dimension": dimensions,
            "breakdown_category": categories,
            **_values(path, frame),
            "unit": "count",
            "period_start": [dt.date(int(y), 1, 1) for y in years],
            "period_end": [dt.date(int(y), 12, 31) for y in years],
            "source_url": defaults["source_url"],
            "quote": None,
            "reliability": defaults["reliability"],
            "note": defaults.get("note"),
        }
    )
    key = ["jurisdiction_id", "metric", "breakdown_dimension", "breakdown_category", "period_start"]
    repeated = figures.duplicated(key, keep=False)
    figures.loc[repeated, "note"] = (
        f"{REPEATED_NOTE} The workbook has several rows for this country, indicator, breakdown and year "
        "(e.g. unnamed other forms of exploitation): all are kept, none is chosen."
    )
    return figures
