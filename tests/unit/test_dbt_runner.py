"""The parsed dbt manifest is kept for the next process, and parsed again when it cannot be read."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestration.defs.dbt import runner
from orchestration.engine.dbt_files import dbt_fingerprint
from orchestration.settings import DBT_PROJECT_DIR


def _load(target: Path) -> object:
    runner._pickled_manifest.cache_clear()
    return runner.parsed_manifest(str(DBT_PROJECT_DIR), str(target), dbt_fingerprint())


def test_a_parsed_manifest_is_kept_and_parsed_again_when_torn(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _load(tmp_path)
    kept = list(tmp_path.glob("parsed-manifest-*.pickle"))
    assert len(kept) == 1 and len(parsed.nodes) > 100

    def no_parse(args: list[str], manifest: object = None) -> object:
        raise AssertionError(f"dbt {args[0]} ran: the kept manifest was not used")

    with monkeypatch.context() as patched:
        patched.setattr(runner, "_invoke", no_parse)
        again = _load(tmp_path)
    assert sorted(again.nodes) == sorted(parsed.nodes)
    assert again.nodes[next(iter(parsed.nodes))].raw_code == parsed.nodes[next(iter(parsed.nodes))].raw_code
    assert again is not parsed  # each invocation compiles into a manifest of its own

    kept[0].write_bytes(kept[0].read_bytes()[:1000])  # torn
    assert sorted(_load(tmp_path).nodes) == sorted(parsed.nodes)
    assert len(kept[0].read_bytes()) > 1000

    # Another setting (here a moved data dir) is another key: parsed afresh, and the old file is dropped.
    monkeypatch.setenv("HT_DUCKDB_PATH", str(tmp_path / "elsewhere.duckdb"))
    _load(tmp_path)
    assert [p.name for p in tmp_path.glob("parsed-manifest-*.pickle")] != [kept[0].name]
    assert len(list(tmp_path.glob("parsed-manifest-*.pickle"))) == 1


def test_a_kept_manifest_resolves_sources_and_refs_after_a_full_parse(tmp_path: Path) -> None:
    """dbt's own pickling shifts the lookups of a fully parsed manifest into the wrong fields (runner._pickle)."""
    parsed = runner._invoke(["parse", *runner._locations(str(DBT_PROJECT_DIR), str(tmp_path))])
    source = next(iter(parsed.sources.values()))
    model = next(node for node in parsed.nodes.values() if node.resource_type == "model")
    assert parsed.source_lookup and parsed.ref_lookup  # built, as a build would
    kept = runner._unpickle(runner._pickle(parsed))
    assert type(kept.source_lookup).__name__ == "SourceLookup" and type(kept.ref_lookup).__name__ == "RefableLookup"
    found = kept.resolve_source(source.source_name, source.name, source.package_name, source.package_name)
    assert found.unique_id == source.unique_id
    ref = kept.resolve_ref(None, model.name, None, None, model.package_name, model.package_name)
    assert ref.unique_id == model.unique_id
    assert kept.fixtures == parsed.fixtures and sorted(kept.nodes) == sorted(parsed.nodes)


def test_a_manifest_cut_off_by_a_killed_parse_does_not_count_as_whole(tmp_path: Path) -> None:
    """dbt writes manifest.json in place: a process killed meanwhile leaves half a file, which `manifest_is_stale`
    must then treat as stale (parsed again), not load."""
    from orchestration.defs.dbt.manifest import manifest_is_whole

    whole, cut, empty = tmp_path / "whole.json", tmp_path / "cut.json", tmp_path / "empty.json"
    whole.write_text('{"nodes": {"model.a": {}}}')
    cut.write_text('{"nodes": {"model.a": {')
    empty.write_text("")
    assert [manifest_is_whole(p) for p in (whole, cut, empty)] == [True, False, False]


def test_a_new_data_dir_is_parsed_in_a_process_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A CLI build on a new data dir parses the project in another process while it imports: that process leaves
    the manifest and the kept parse, and the code location then loads without parsing."""
    from orchestration.defs.dbt import manifest
    from orchestration.defs.dbt.project import dbt_project

    def no_parse(args: list[str], manifest: object = None) -> object:
        raise AssertionError(f"dbt {args[0]} ran in this process")

    monkeypatch.setattr(runner, "_invoke", no_parse)
    target = tmp_path / "data" / "dbt" / "target"
    with monkeypatch.context() as patched:
        patched.setenv("HT_DATA_DIR", str(tmp_path / "data"))
        assert manifest.manifest_is_stale()
        with manifest.parsed_alongside() as parsing:
            assert parsing
        assert not manifest.manifest_is_stale()
        assert len(list(target.glob("parsed-manifest-*.pickle"))) == 1
        manifest.prepare_manifest()  # as the code location does when it loads: nothing to parse
        assert len(_load(target).nodes) > 100
        with manifest.parsed_alongside() as parsing:
            assert not parsing
    # The one path, as dagster-dbt names it for the session's data dir.
    assert manifest.manifest_path() == dbt_project.manifest_path
