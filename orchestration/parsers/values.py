"""Parsing published values: numbers as printed, lower bounds and suppressed values kept apart."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd


# The hotline and UNODC suppress small values as "<3" or "<5": the bound is kept, the value stays empty.
_SUPPRESSED = re.compile(r"^<\s*(\d+)$")
_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class ParsedValue:
    value: float | None
    value_text: str
    suppressed_below: int | None


def finite(number: float) -> float:
    """`number`, unless it is NaN or infinite (YAML's `.nan` and `.inf`, `float("nan")`): no publisher prints
    those, and a NaN would reach the marts as a figure no check compares with anything."""
    if not math.isfinite(number):
        raise ValueError(f"{number!r} is not a finite number")
    return number


def parse_value(raw: object) -> ParsedValue:
    """Parse `357`, `91.9`, `"1,521"` or `"<5"`; raise ValueError with what was found otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"found {raw!r}")
    if isinstance(raw, int | float):
        return ParsedValue(finite(float(raw)), str(raw), None)
    text = str(raw).strip()
    if match := _SUPPRESSED.match(text):
        return ParsedValue(None, text, int(match.group(1)))
    if _NUMBER.match(text):
        return ParsedValue(float(text.replace(",", "")), text, None)
    raise ValueError(f"found {text!r}")


def parse_values(texts: pd.Series) -> pd.DataFrame:
    """`parse_value` for a whole column at once (large tabular releases), with the same rules.

    Returns value, value_text, suppressed_below and qualifier (less_than for "<N", else exact), and `valid`:
    False where a text is neither a number nor a suppressed value (the caller names the row).
    """
    import numpy as np
    import pandas as pd

    text = texts.map(lambda v: "" if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)) else str(v))
    text = text.str.strip()
    suppressed = text.str.extract(_SUPPRESSED.pattern, expand=False)
    is_number = text.str.match(_NUMBER.pattern)
    return pd.DataFrame(
        {
            "value": pd.to_numeric(text.str.replace(",", "", regex=False).where(is_number), errors="coerce"),
            "value_text": text,
            "suppressed_below": pd.to_numeric(suppressed, errors="coerce").astype("Int64"),
            "qualifier": np.where(suppressed.notna(), "less_than", "exact"),
            "valid": suppressed.notna() | is_number,
        },
        index=texts.index,
    )


def parse_date(raw: object) -> dt.date:
    """Accept a YAML date or an ISO `YYYY-MM-DD` string."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError as exc:
        raise ValueError(f"found {raw!r}") from exc
