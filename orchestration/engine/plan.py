"""What a build has to do, decided before anything heavy is imported: new files, a full rebuild, a publish.

`ht-warehouse build` with nothing new answers from here in well under a second: no Dagster run, no parse,
no validation.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.engine.ledger import Discovery, discover
from orchestration.engine.raw_tables import read_state
from orchestration.engine.snapshot import charts_drawn, current_publication
from orchestration.engine.versions import FileVersion
from orchestration.engine.warehouse import Warehouse


@dataclass
class Plan:
    pending: list[FileVersion]
    # Rebuild every dbt model: no warehouse yet, the dbt project changed, or asked for (--full, nightly).
    full: bool
    # The live warehouse holds a batch the published snapshot does not (a crash between promote and publish).
    publish: bool
    reasons: list[str]
    discovery: Discovery

    @property
    def nothing_to_do(self) -> bool:
        return not self.pending and not self.full and not self.publish

    @property
    def kinds(self) -> set[str]:
        return {v.kind for v in self.pending}


def make_plan(
    roots: list[Path],
    warehouse: Warehouse,
    publish_dir: Path,
    full: bool = False,
    limit: int | None = None,
    closed_at: Callable[[Path], float | None] | None = None,
) -> Plan:
    discovery = discover(roots, warehouse, limit=limit, closed_at=closed_at)
    state = read_state(warehouse)
    reasons = []
    if full:
        reasons.append("a full rebuild was asked for")
    elif state.batch_id is None:
        full = True
        reasons.append("no warehouse built by this version yet")
    elif state.dbt_fingerprint != dbt_fingerprint():
        full = True
        reasons.append("the dbt project changed since the last build")
    if discovery.pending:
        reasons.append(f"{len(discovery.pending)} new file version(s)")
    current = current_publication(publish_dir)
    publish = state.batch_id is not None and (current or {}).get("batch_id") != state.batch_id
    if publish and not discovery.pending and not full:
        reasons.append("the published snapshot is older than the live warehouse")
    elif current is not None and not charts_drawn(publish_dir):
        publish = True
        reasons.append("the published snapshot has no charts (a build stopped while drawing them)")
    return Plan(discovery.pending, full, publish, reasons, discovery)


def batch_digest(versions: Iterable[FileVersion]) -> str:
    """Names a batch by its contents: the same new files give the same digest (run tags, run keys)."""
    digest = hashlib.sha256()
    for version in sorted(versions, key=lambda v: v.key):
        digest.update(":".join(version.key).encode())
    return digest.hexdigest()[:16]
