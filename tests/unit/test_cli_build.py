"""`ht-warehouse build` and a file still being written: it waits for the file to settle instead of leaving it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from orchestration.engine.ledger import Discovery
from orchestration.engine.plan import Plan


def test_a_build_waits_once_for_a_file_modified_within_the_last_second(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration import cli
    from orchestration.engine import plan as plan_module

    unsettled = Plan([], False, False, [], Discovery([], 0, 1, [], settles_in=0.2))
    settled = Plan([], False, False, [], Discovery([], 1, 0, []))
    plans = iter([unsettled, settled])
    monkeypatch.setattr(plan_module, "make_plan", lambda *args, **kwargs: next(plans))
    assert cli.build(argparse.Namespace(duckdb=None, full=False)) == 0
    out = capsys.readouterr().out
    assert "Waiting:       1 file(s) modified within the last second" in out
    assert "Nothing new:   1 file versions processed before" in out
    assert "left for the next build" not in out
    assert next(plans, None) is None  # planned again after the wait


def test_a_file_still_being_written_after_the_wait_is_named_as_left_for_the_next_build(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from orchestration import cli
    from orchestration.engine import plan as plan_module

    writing = Plan([], False, False, [], Discovery([], 0, 1, [], settles_in=0.0))
    monkeypatch.setattr(plan_module, "make_plan", lambda *args, **kwargs: writing)
    assert cli.build(argparse.Namespace(duckdb=None, full=False)) == 0
    assert "1 file(s) still being written (or dated in the future) are left for the next build" in (
        capsys.readouterr().out
    )
