"""One batch: the file versions a run accepts or retracts, applied to a candidate copy of the live warehouse.

The ingest step lands each file and records the accepted versions here; the dbt step tests the candidate and,
if a test fails, prepares candidates holding fewer versions (`prepare(versions)`) to find the responsible files.
Nothing here touches the live file except `promote`, after every error-level test passed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from orchestration.engine.raw_tables import append_staged_version, ensure_raw_schema, record_batch, retract_file_version
from orchestration.engine.staged import StagedVersion
from orchestration.engine.stop_signals import StopSignals
from orchestration.engine.store import quarantine
from orchestration.engine.versions import FileVersion, LandedFile
from orchestration.engine.warehouse import Warehouse
from orchestration.parsers.kinds import SOURCE_KINDS


@dataclass
class Batch:
    batch_id: str
    run_id: str
    warehouse: Warehouse
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    accepted: list[FileVersion] = field(default_factory=list)
    retracted: list[FileVersion] = field(default_factory=list)
    quarantined: list[FileVersion] = field(default_factory=list)
    candidate: Path | None = None
    # Ctrl-C or SIGTERM during the run: no new candidate is prepared and nothing is promoted after it.
    stop: StopSignals = field(default_factory=StopSignals)

    def loaded_at(self, version: FileVersion) -> dt.datetime:
        """Later versions in a batch get later load times, so the newest file is the latest version."""
        return self.started_at + dt.timedelta(microseconds=self.accepted.index(version))

    def prepare(self, versions: list[FileVersion] | None = None) -> Path:
        """A new candidate: the live warehouse plus the given accepted versions (default: all), minus retractions."""
        self.stop.check("preparing a candidate")
        if self.candidate is not None:
            self.warehouse.discard(self.candidate)
        chosen = self.accepted if versions is None else versions
        self.candidate = self.warehouse.new_candidate()
        with duckdb.connect(str(self.candidate)) as conn:
            ensure_raw_schema(conn)
            for version in self.retracted:
                tables = list(SOURCE_KINDS[version.kind].raw_tables)
                retract_file_version(conn, version, tables, self.run_id, self.started_at)
            for version in chosen:
                files = StagedVersion(version.kind, version.partition_key, version.sha256).table_files()
                append_staged_version(conn, version, files, self.run_id, self.loaded_at(version))
        return self.candidate

    def candidate_or_copy(self) -> Path:
        """The prepared candidate, or a plain copy of the live warehouse (a run with no ingest step)."""
        return self.candidate if self.candidate is not None else self.prepare()

    def promote(self, selection: str, accepted: list[FileVersion]) -> None:
        """Record the batch in the candidate's `raw.batch_log`, swap it in as the live warehouse, and file the
        retracted versions in quarantine (the ledger's "refused" half)."""
        assert self.candidate is not None
        self.stop.check(f"promoting batch {self.batch_id}")
        with duckdb.connect(str(self.candidate)) as conn:
            record_batch(
                conn,
                self.batch_id,
                self.run_id,
                self.started_at,
                selection,
                [v.label for v in accepted],
                [v.label for v in self.quarantined],
                [v.label for v in self.retracted],
            )
        self.warehouse.promote(self.candidate)
        self.candidate = None
        for version in self.retracted:
            report = {
                "refused_by": "retraction",
                "first_problem": "retracted with `ht-warehouse retract`",
                "run": self.run_id,
            }
            quarantine(LandedFile(version.kind, Path(version.path), 0, 0.0), version.sha256, report)
            self.warehouse.record_refusal(version.key, version.path, report)

    def close(self) -> None:
        """Discard an unpromoted candidate (a failed or interrupted run leaves the live warehouse as it was)."""
        if self.candidate is not None:
            self.warehouse.discard(self.candidate)
            self.candidate = None
