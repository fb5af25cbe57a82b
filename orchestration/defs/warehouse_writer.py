"""The run's single writer of the warehouse: it holds the writer lock (released by the kernel, or by PostgreSQL on
the lake profile, if the process dies) and the batch's candidate copy, which it discards unless it was promoted.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from orchestration.engine.batch import Batch
from orchestration.engine.stop_signals import recorded_stop_signals
from orchestration.engine.storage import configured_warehouse

# Tags a batch run carries so that a dead run can be told from a live one (see sensors.reap_dead_runs).
PID_TAG = "ht/pid"
HOST_TAG = "ht/host"
# How long a run waits for another writer (a `ht-warehouse build`, another run) before it gives up.
LOCK_TIMEOUT_SECONDS = 30 * 60


class WarehouseWriter(dg.ConfigurableResource):
    """The run's exclusive right to write the warehouse, and the batch it is applying to a candidate copy."""

    database: str
    lock_timeout_seconds: float = LOCK_TIMEOUT_SECONDS
    _batch: Batch | None = PrivateAttr(default=None)

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[WarehouseWriter]:
        warehouse = configured_warehouse(Path(self.database))
        run_id = context.run.run_id if context.run else "adhoc"
        if context.instance is not None and context.run:
            context.instance.add_run_tags(run_id, {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()})
        with (
            recorded_stop_signals() as stop,
            warehouse.writer_lock(f"Dagster run {run_id}", self.lock_timeout_seconds, context.log.info),
        ):
            cleared = warehouse.clear_stale()
            if cleared:
                context.log.info(f"A writer died here before: {'; '.join(cleared)}")
            self._batch = Batch(batch_id=run_id, run_id=run_id, warehouse=warehouse, stop=stop)
            try:
                yield self
            finally:
                self._batch.close()
                self._batch = None

    @property
    def batch(self) -> Batch:
        if self._batch is None:
            raise dg.Failure("The warehouse writer is used outside a run")
        return self._batch
