"""Parsing published values: numbers as printed, lower bounds and suppressed values kept apart."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

# The hotline and UNODC suppress small values as "<3" or "<5": the bound is kept, the value stays empty.
_SUPPRESSED = re.compile(r"^<\s*(\d+)$")
_NUMBER = re.compile(r"^-?\d{1,3}(,\d{3})+(\.\d+)?$|^-?\d+(\.\d+)?$")


@dataclass(frozen=True)
class ParsedValue:
    value: float | None
    value_text: str
    suppressed_below: int | None


def parse_value(raw: object) -> ParsedValue:
    """Parse `357`, `91.9`, `"1,521"` or `"<5"`; raise ValueError with what was found otherwise."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(f"found {raw!r}")
    if isinstance(raw, int | float):
        return ParsedValue(float(raw), str(raw), None)
    text = str(raw).strip()
    if match := _SUPPRESSED.match(text):
        return ParsedValue(None, text, int(match.group(1)))
    if _NUMBER.match(text):
        return ParsedValue(float(text.replace(",", "")), text, None)
    raise ValueError(f"found {text!r}")


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
