"""dbt in this process: dbt-core's programmatic runner (`dbtRunner`), with the parsed manifest kept for the process.

Running dbt as a subprocess through dagster-dbt's CLI resource cost about 8 s per invocation before dbt did any
work: a `dbt --version` subprocess, an in-process dbt adapter for metadata fetchers this project does not use, a
new interpreter importing dbt, and a parse. Here every build of a run (the audit's build and the culprit search's
rebuilds) reuses one parsed manifest, as dbt's documentation for programmatic invocations recommends. Results come
from `run_results.json`, the same artifact the CLI writes.

Each run is a new process, and even a partial parse took about 2 s of every event. So the parsed manifest is also
kept in the target folder, pickled by its public fields (`_pickle`), under a key of everything that shapes it: the
project's files, dbt's version, the target folder and the settings (`HT_*`, `DBT_*`) the profile may read. Loading
it takes about 15 ms; any other version of the project or settings parses afresh.
"""

from __future__ import annotations

import copyreg
import dataclasses
import functools
import gc
import hashlib
import io
import json
import logging
import os
import pickle
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg

from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.settings import replace_file

logger = logging.getLogger(__name__)
PARSED_MANIFEST = "parsed-manifest-{key}.pickle"
# How the manifest is pickled (by its named public fields, see _pickle): part of the key, so a file written another
# way is never read.
PICKLE_FORMAT = "public-fields-1"


class DbtRunError(RuntimeError):
    """dbt could not run the command at all (a project, profile or compilation error), as opposed to a test or
    model failing, which shows in the results."""


@dataclass(frozen=True)
class DbtRun:
    """What one dbt invocation wrote: its target folder and run results."""

    target_path: Path
    run_results: dict[str, Any]
    manifest_path: Path
    # Seconds spent parsing (0 when this process had parsed the project already) and running.
    parse_seconds: float = 0.0
    run_seconds: float = 0.0

    @functools.cached_property
    def manifest(self) -> dict[str, Any]:
        return json.loads(self.manifest_path.read_text(encoding="utf-8"))


def _invoke(args: list[str], manifest: Any = None) -> Any:
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.cli.main import dbtRunner  # dbt is imported when a run needs it, not when the code location loads

    try:
        result = dbtRunner(manifest=manifest).invoke(args)
    finally:
        # dbt-duckdb keeps its database open for the process; the engine opens, replaces and renames the
        # candidate between builds, so dbt lets go of the file after every command.
        DuckDBConnectionManager.close_all_connections()
        gc.collect()
    if isinstance(result.exception, BaseException) and not isinstance(result.exception, Exception):
        raise result.exception  # an interrupt (Ctrl-C, SIGTERM via Dagster) stops the run, as it would the CLI
    if result.result is None:
        raise DbtRunError(f"dbt {' '.join(args[:1])} failed: {result.exception}")
    return result.result


def _locations(project_dir: str, target_path: str) -> list[str]:
    """The project (its profiles.yml beside it) and the folder dbt writes to."""
    return ["--project-dir", project_dir, "--profiles-dir", project_dir, "--target-path", target_path]


def _parsed_manifest_file(project_dir: str, target_path: str, fingerprint: str) -> Path:
    """Where the manifest parsed for this project version, dbt version, target folder and settings is kept."""
    from dbt.version import __version__ as dbt_version

    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith(("HT_", "DBT_")))
    key = json.dumps([PICKLE_FORMAT, fingerprint, dbt_version, project_dir, target_path, settings])
    return Path(target_path) / PARSED_MANIFEST.format(key=hashlib.sha256(key.encode()).hexdigest()[:16])


def _manifest(fields: dict[str, Any]) -> Any:
    from dbt.contracts.graph.manifest import Manifest

    return Manifest(**fields)


def _pickle(manifest: Any) -> bytes:
    """The manifest by its named public fields. dbt's own `Manifest.__reduce_ex__` passes fields by position and
    leaves out `fixtures` (dbt-core 1.11), so every lookup after it lands in the wrong field: a fully parsed
    manifest came back with a ref lookup as its source lookup, and every `source()` failed to compile. Its
    lookups, lock and parsing state start empty, as after dbt's `Manifest.deepcopy()`, and are rebuilt on use."""
    public = {f.name: getattr(manifest, f.name) for f in dataclasses.fields(manifest) if not f.name.startswith("_")}
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table, type(manifest): lambda _: (_manifest, (public,))}
    pickler.dump(manifest)
    return buffer.getvalue()


def _unpickle(pickled: bytes) -> Any:
    """Unpickling allocates ~10^5 objects at once: the cyclic collector would scan the heap a few times meanwhile
    (0.3 s instead of 15 ms), and nothing it could free is made here."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(pickled)
    finally:
        if collecting:
            gc.enable()


def _keep(pickled: bytes, path: Path) -> None:
    """Keep the pickled manifest for the next process (written whole or not at all); drop other versions'."""
    for old in path.parent.glob(PARSED_MANIFEST.format(key="*")):
        old.unlink(missing_ok=True)
    replace_file(path, pickled)


@functools.cache
def _pickled_manifest(project_dir: str, target_path: str, fingerprint: str) -> bytes:
    """The project's manifest pickled, parsed once per dbt project version (`fingerprint`) and settings, across
    processes."""
    kept = _parsed_manifest_file(project_dir, target_path, fingerprint)
    try:
        pickled = kept.read_bytes()
        _unpickle(pickled)  # a file that does not load is parsed again below
        return pickled
    except FileNotFoundError:
        pass
    except Exception as error:  # a torn or unreadable file of ours: parse again, and it is rewritten
        logger.warning("Parsing the dbt project again: could not load %s (%s)", kept, error)
    return parse_project(project_dir, target_path, fingerprint)


def parse_project(project_dir: str, target_path: str, fingerprint: str) -> bytes:
    """`dbt parse` in this process: writes `manifest.json` (what dagster-dbt builds the assets from) and keeps the
    parsed manifest, pickled, for the runs; returns it."""
    pickled = _pickle(_invoke(["parse", "--quiet", *_locations(project_dir, target_path)]))
    kept = _parsed_manifest_file(project_dir, target_path, fingerprint)
    try:
        _keep(pickled, kept)
    except OSError as error:
        logger.warning("Could not keep the parsed dbt manifest in %s: %s", kept, error)
    return pickled


def parsed_manifest(project_dir: str, target_path: str, fingerprint: str) -> Any:
    """A manifest of its own for one dbt invocation. A build compiles into the manifest it is given (ephemeral
    models' CTEs are injected once and marked so), so each gets a fresh one, unpickled in about 15 ms."""
    return _unpickle(_pickled_manifest(project_dir, target_path, fingerprint))


class InProcessDbt(dg.ConfigurableResource):
    """Runs dbt commands in this process against the project's parsed manifest."""

    project_dir: str
    target_path: str

    def run(self, args: list[str], target_path: Path | None = None) -> DbtRun:
        """`dbt <args>` in this process; the target folder defaults to the project's."""
        target = target_path or Path(self.target_path)
        target.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        manifest = parsed_manifest(self.project_dir, self.target_path, dbt_fingerprint())
        parsed = time.monotonic()
        _invoke([*args, *_locations(self.project_dir, str(target))], manifest=manifest)
        results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))
        manifest_path = Path(self.target_path) / "manifest.json"
        return DbtRun(target, results, manifest_path, parsed - started, time.monotonic() - parsed)
