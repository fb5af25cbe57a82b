"""One dynamic partition per delivered file name (a report release, a hotline table file), per source kind."""

from __future__ import annotations

import dagster as dg

from orchestration.ingest.kinds import SOURCE_KIND_LIST

PARTITIONS: dict[str, dg.DynamicPartitionsDefinition] = {
    kind.name: dg.DynamicPartitionsDefinition(name=kind.partitions_name) for kind in SOURCE_KIND_LIST
}
