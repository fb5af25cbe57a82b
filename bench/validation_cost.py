"""Validation time per file, this checkout against another revision, side by side in one run.

Usage: uv run python -m bench.validation_cost [--against REV] [--data-dir BUILT_DATA_DIR]

Each side validates the same shipped files (a state table, a transcribed release, the UNODC workbook) three times
after a warm-up and reports the fastest, in a copy of a built data directory (so the rules that read other files
and the live warehouse have something to read). The other revision runs from a temporary `git worktree`; both
sides run bench/validation_timer.py from this checkout, which speaks the layouts before and after the restructure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILES = {
    "state table 2012-2016": (
        "hotline_state_calls_cases",
        "sources/hotline_state_calls_cases/state_calls_cases_2012_2016.csv",
    ),
    "OCHTTF 2021 release": ("report_releases", "sources/report_releases/ochttf/ochttf-2021.yaml"),
    "UNODC workbook": ("report_releases", "sources/report_releases/unodc/unodc-glotip-2023.xlsx"),
}
# Runs in the checkout being timed, from this checkout (see its docstring for why by path).
TIMER = Path(__file__).resolve().parent / "validation_timer.py"


def _time(checkout: Path, data_dir: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(data_dir, data, symlinks=True)
        env = {"HT_DATA_DIR": str(data), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(checkout)}
        result = subprocess.run(
            [sys.executable, str(TIMER), str(checkout), json.dumps(FILES)],
            cwd=checkout,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", default="HEAD~1", help="the revision to compare with")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "data", help="a built data dir (make build)")
    args = parser.parse_args()
    if not (args.data_dir / "warehouse.duckdb").exists():
        raise SystemExit(f"No built warehouse in {args.data_dir}: run `make build` first.")
    with tempfile.TemporaryDirectory() as tmp:
        other = Path(tmp) / "other"
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(other), args.against], check=True
        )
        try:
            sides = {f"{args.against}": _time(other, args.data_dir), "this checkout": _time(ROOT, args.data_dir)}
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(other)], check=True)
    print(f"{'file':<24}" + "".join(f"{name:>18}" for name in sides))
    for label in FILES:
        print(f"{label:<24}" + "".join(f"{side[label]:>17.3f}s" for side in sides.values()))


if __name__ == "__main__":
    main()
