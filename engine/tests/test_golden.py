"""Golden regression: fixed strategies on fixed data give the committed trades and statistics.

A failure here means results changed. If that is intended, bump ``ENGINE_VERSION`` (and say
why in docs/engine.md), then run ``python -m engine.tests.golden --update`` and commit the
fixtures; the update refuses to rewrite changed results under an unchanged version.
"""

from __future__ import annotations

import json

import pytest

from engine import ENGINE_VERSION
from engine.tests import golden
from engine.tests.golden import __main__ as golden_cli

HOW = "python -m engine.tests.golden --update"


@pytest.mark.parametrize("dataset", list(golden.DATASETS))
def test_results_match_the_golden_fixture(dataset: str) -> None:
    fixture = golden.load_fixture(dataset)
    assert fixture is not None, f"no fixture for {dataset}: run {HOW}"
    fresh = golden.compute(dataset)
    if fresh is None:
        pytest.skip(f"{golden.SHARED_DATA / golden.NIFTY_FILE} is absent (../shared/data)")
    assert fixture["engine_version"] == ENGINE_VERSION, (
        f"the {dataset} fixture was made with engine {fixture['engine_version']}, the engine is "
        f"{ENGINE_VERSION}: run {HOW} and commit it"
    )
    assert {case.name for case in golden.CASES} == set(fixture["results"])
    diffs = golden.differences(fixture["results"], fresh["results"])
    assert not diffs, (
        f"{len(diffs)} results changed with ENGINE_VERSION still {ENGINE_VERSION}; bump it if "
        f"intended, then {HOW}:\n" + "\n".join(diffs[:20])
    )


def test_every_case_trades_on_the_synthetic_series() -> None:
    fixture = golden.load_fixture("synthetic")
    assert fixture is not None
    for name, result in fixture["results"].items():
        assert result["stats"]["trades"] > 0, name


def test_float_tolerance_is_tight() -> None:
    assert golden.differences({"x": 1.0}, {"x": 1.0 + 1e-12}) == []
    assert golden.differences({"x": 100.0}, {"x": 100.0 + 1e-6}) == [
        "/x: expected 100.0, got 100.000001"
    ]
    assert golden.differences({"t": [{"r": "stop"}]}, {"t": [{"r": "target"}]}) == [
        "/t[0]/r: expected 'stop', got 'target'"
    ]
    assert golden.differences([1, 2], [1]) == [": 2 items expected, got 1"]


def test_update_refuses_changed_results_under_the_same_version(tmp_path, monkeypatch) -> None:
    fixture = golden.load_fixture("synthetic")
    assert fixture is not None
    changed = json.loads(json.dumps(fixture))
    changed["results"]["sma_long_short"]["stats"]["trades"] += 1
    path = tmp_path / "synthetic.json"
    path.write_text(golden.dumps(changed))
    monkeypatch.setattr(golden_cli, "DATASETS", {"synthetic": golden.DATASETS["synthetic"]})
    monkeypatch.setattr(golden_cli, "fixture_path", lambda dataset: path)
    monkeypatch.setattr(golden_cli, "load_fixture", lambda dataset: json.loads(path.read_text()))
    assert golden_cli.main([]) == 1
    assert golden_cli.main(["--update"]) == 1  # same version: refused, file untouched
    assert json.loads(path.read_text()) == changed
    changed["engine_version"] = "0.0.1"  # a fixture from an older engine may be replaced
    path.write_text(golden.dumps(changed))
    assert golden_cli.main(["--update"]) == 0
    assert json.loads(path.read_text()) == json.loads(golden.dumps(fixture))
