"""A BI client in its own process: reads the published snapshot through SQLAlchemy + duckdb-engine in a loop.

Run by the end-to-end test while the daemon builds: `python tests/snapshot_reader.py <snapshot> <stop file> <out>`.
Each read opens the snapshot anew (as a BI tool's connection pool would after a refresh), reads what the snapshot
says it holds (audit.publication.row_counts) and counts the rows itself, in one connection: a half-swapped
snapshot would show up as a mismatch. Writes a JSON summary when the stop file appears.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

CHECKED = ("bi.victim_figures", "bi.hotline_cases", "marts.fct_report_figures", "audit.fact_provenance")


def main(snapshot: str, stop_file: str, out: str) -> None:
    engine = create_engine(f"duckdb:///{snapshot}", connect_args={"read_only": True}, poolclass=NullPool)
    reads, errors, inconsistent, seen, slowest = 0, [], [], [], 0.0
    while not Path(stop_file).exists():
        started = time.monotonic()
        try:
            with engine.connect() as conn:
                snapshot_id, row_counts = conn.execute(
                    text("select snapshot_id, row_counts from audit.publication")
                ).one()
                promised = row_counts if isinstance(row_counts, dict) else json.loads(row_counts)
                counted = {name: conn.execute(text(f"select count(*) from {name}")).scalar_one() for name in CHECKED}
            if any(promised[name] != counted[name] for name in CHECKED):
                inconsistent.append({"snapshot_id": snapshot_id, "promised": promised, "counted": counted})
            if not seen or seen[-1] != snapshot_id:
                seen.append(snapshot_id)
            reads += 1
        except Exception as error:  # a BI tool would show this to its user: record it, keep reading
            errors.append(f"{type(error).__name__}: {error}")
        slowest = max(slowest, time.monotonic() - started)
        time.sleep(0.05)
    summary = {
        "reads": reads,
        "errors": errors[:20],
        "error_count": len(errors),
        "inconsistent": inconsistent[:5],
        "snapshot_ids": seen,
        "slowest_read_seconds": round(slowest, 3),
    }
    Path(out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main(*sys.argv[1:4])
