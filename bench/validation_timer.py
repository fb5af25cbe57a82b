"""Validation time per file in one checkout: the measurement of bench/validation_cost.py, one side per process.

Usage: python <this checkout>/bench/validation_timer.py CHECKOUT FILES_JSON   (PYTHONPATH=CHECKOUT, a built HT_DATA_DIR)

FILES_JSON maps a label to `[kind, path relative to CHECKOUT]`. Prints one JSON object, label -> the fastest of
three validations in seconds, as its last line.

Run by its path, not with `-m`: the other revision's checkout may have no `bench` package, and `orchestration`
must come from the checkout on PYTHONPATH. It speaks both layouts: `parsers`/`quality.validate` with references
gathered by the engine (since the restructure), and `ingest`/`quality.checks` before it, where validate gathered
them itself; so each side times the same work, references included.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# (kind, path, parsed tables) -> None: validate one parsed file against its references.
Validator = Callable[[str, Path, dict[str, Any]], None]
Parser = Callable[[str, Path], dict[str, Any]]
RUNS = 3


def _current_layout() -> tuple[Parser, Validator]:
    from orchestration.engine.references import references_for
    from orchestration.engine.storage import configured_warehouse
    from orchestration.parsers.kinds import SOURCE_KINDS
    from orchestration.quality.validate import validate

    def check(kind: str, path: Path, tables: dict[str, Any]) -> None:
        validate(kind, tables, references_for(configured_warehouse(), kind, path.stem, tables))

    return (lambda kind, path: SOURCE_KINDS[kind].parse(path)), check


def _layout_before_restructure() -> tuple[Parser, Validator]:
    from orchestration.ingest.kinds import SOURCE_KINDS_BY_NAME
    from orchestration.quality.checks import validate

    def check(kind: str, path: Path, tables: dict[str, Any]) -> None:
        validate(kind, path.stem, tables)

    return (lambda kind, path: SOURCE_KINDS_BY_NAME[kind].parse(path)), check


def layout() -> tuple[Parser, Validator]:
    """The parser and validator of the checkout on the path, whichever layout it has."""
    try:
        return _current_layout()
    except ImportError:
        return _layout_before_restructure()


def time_validation(checkout: Path, files: dict[str, tuple[str, str]]) -> dict[str, float]:
    """The fastest of three validations of each file, after a warm-up (imports, the great-expectations context)."""
    parse, check = layout()
    fastest = {}
    for label, (kind, relative) in files.items():
        path = checkout / relative
        tables = parse(kind, path)
        check(kind, path, tables)  # warm-up
        runs = []
        for _ in range(RUNS):
            started = time.perf_counter()
            check(kind, path, tables)
            runs.append(time.perf_counter() - started)
        fastest[label] = min(runs)
    return fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path)
    parser.add_argument("files", type=json.loads, help="label -> [kind, path relative to the checkout], as JSON")
    args = parser.parse_args()
    print(json.dumps(time_validation(args.checkout, args.files)))


if __name__ == "__main__":
    main()
