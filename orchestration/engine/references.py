"""What a file is compared with, gathered for quality.validate: the other files of its kind, national figures,
the version it replaces, and for a release the publisher's previous headline.

- Other files: the newest version of every other file name that passed its landing checks (staged Parquet),
  including files landed earlier in the same batch.
- The version a file replaces: the version of the same file name that is live in the warehouse (the ledger),
  read back from its staged Parquet.
Staged versions never change (their folders are named by sha256): each is read once per process, and what is
computed from one (its measures, a release's headline) is kept beside it for later processes (engine/staged.py).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from orchestration.engine.ledger import live_version_of
from orchestration.engine.staged import (
    StagedVersion,
    derived_path,
    keep_derived_frame,
    keep_derived_json,
    latest_passed_versions,
    read_derived_frame,
    read_derived_json,
    read_staged_tables,
)
from orchestration.engine.warehouse import Warehouse
from orchestration.quality import plausibility
from orchestration.quality.validate import References, ReplacedVersion

if TYPE_CHECKING:
    import pandas as pd

# The kind of the national figures, and the kinds whose files are compared with them (state tables).
NATIONAL_KIND = "hotline_published_figures"
COMPARED_WITH_NATIONAL = frozenset({"hotline_state_calls_cases"})
# A staged version never changes (its folder is named by its sha256): read once per process.
_tables = functools.cache(read_staged_tables)


@functools.cache
def staged_measures(kind: str, folder: Path) -> pd.DataFrame:
    """The plausibility measures of one staged version (with a fresh index): computed once, then read back."""
    kept = read_derived_frame(folder, "measures", plausibility.MEASURE_COLUMNS)
    if kept is not None:
        return kept
    return _measured_and_kept(kind, folder, _tables(folder))


def keep_measures(kind: str, folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Keep the measures of a version as it is staged in `folder`, from the tables it was parsed into: they equal
    those of its staged copy (tests/unit/test_engine_references.py), which is then not read back to compute them."""
    if not derived_path(folder, "measures", "parquet").exists():
        _measured_and_kept(kind, folder, tables)


def _measured_and_kept(kind: str, folder: Path, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    fresh = plausibility.measures(kind, tables).reset_index(drop=True)
    # The columns of an empty frame have no type Parquet could keep; a version that passed has numbers anyway.
    if not fresh.empty:
        keep_derived_frame(folder, "measures", fresh)
    return fresh


@functools.cache
def _followed_numbers(kind: str, folder: Path, partition_key: str) -> pd.DataFrame:
    """The followed numbers of one staged version, named by its file: once per process, not once per file that
    is compared with it."""
    return plausibility.trend_measures(kind, staged_measures(kind, folder)).assign(source=partition_key)


def other_files_measures(kind: str, partition_key: str, assumed: Sequence[StagedVersion] = ()) -> pd.DataFrame:
    """The followed numbers of every other file of this kind, each with its file name as `source`."""
    import pandas as pd

    parts = [
        _followed_numbers(kind, v.folder, v.partition_key)
        for v in latest_passed_versions(kind, exclude_partition=partition_key, assumed=assumed)
    ]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=plausibility.MEASURE_COLUMNS)


def national_figures(assumed: Sequence[StagedVersion] = ()) -> pd.DataFrame:
    versions = latest_passed_versions(NATIONAL_KIND, assumed=assumed)
    tables = [_tables(v.folder).get(NATIONAL_KIND) for v in versions]
    return plausibility.national_figures(t for t in tables if t is not None)


def replaced_version(warehouse: Warehouse, kind: str, partition_key: str) -> ReplacedVersion | None:
    """The version of this file name that is live in the warehouse, if any (and still staged)."""
    live = live_version_of(warehouse, kind, partition_key)
    if live is None:
        return None
    staged = StagedVersion(kind, partition_key, live.version.sha256)
    if not staged.folder.exists():
        return None
    return ReplacedVersion(live.version.sha256, staged_measures(kind, staged.folder))


@functools.cache
def _release_summary(folder: Path) -> tuple[str, str, str, str, float | None]:
    """(publisher, jurisdiction, period start, period end, headline victims) of one staged release version.

    Computed once and kept beside the version, so that landing a release does not read every other release
    (nor landing a batch of N releases N times).
    """
    kept = read_derived_json(folder, "release_summary")
    if isinstance(kept, list) and len(kept) == 5:
        return tuple(kept)
    with duckdb.connect() as conn:
        release = conn.execute(
            "select publisher_code, jurisdiction_id, period_start::varchar, period_end::varchar from read_parquet(?)",
            [str(folder / "report_releases.parquet")],
        ).fetchone()
        headline = conn.execute(
            "select max(value) from read_parquet(?) where metric = 'victims' and breakdown_dimension = 'total' "
            "and unit = 'count' and period_start::varchar = ? and period_end::varchar = ?",
            [str(folder / "report_figures.parquet"), release[2], release[3]],
        ).fetchone()[0]
    summary = (*release, float(headline) if headline is not None else None)
    keep_derived_json(folder, "release_summary", summary)
    return summary


def previous_headline(release: pd.Series, partition_key: str, assumed: Sequence[StagedVersion] = ()) -> float | None:
    """The headline victim count of the publisher's previous release for the same jurisdiction, if staged."""
    candidates = []
    for version in latest_passed_versions("report_releases", exclude_partition=partition_key, assumed=assumed):
        publisher, jurisdiction, _, period_end, headline = _release_summary(version.folder)
        if (publisher, jurisdiction) != (release["publisher_code"], release["jurisdiction_id"]):
            continue
        if period_end >= str(release["period_start"]):
            continue
        if headline is not None:
            candidates.append((period_end, headline))
    return max(candidates)[1] if candidates else None


def kinds_compared_with(kind: str) -> set[str]:
    """The kinds whose files a file of `kind` is compared with (`references_for`): its own, and for state tables
    the national figures."""
    return {kind, NATIONAL_KIND} if kind in COMPARED_WITH_NATIONAL else {kind}


def references_for(
    warehouse: Warehouse,
    kind: str,
    partition_key: str,
    tables: dict[str, pd.DataFrame],
    assumed: Sequence[StagedVersion] = (),
) -> References:
    """Everything one parsed file of `kind` is compared with; `assumed`: staged versions that count as passed
    (the files before it in a batch validated together)."""
    release = tables["report_releases"].iloc[0] if kind == "report_releases" else None
    return References(
        other_files=other_files_measures(kind, partition_key, assumed),
        national=national_figures(assumed) if kind in COMPARED_WITH_NATIONAL else None,
        replaced=replaced_version(warehouse, kind, partition_key),
        previous_headline=previous_headline(release, partition_key, assumed) if release is not None else None,
    )
