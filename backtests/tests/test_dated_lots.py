"""Runs on an index take each bar's lot from the engine calendar (issue 11); contracts do not."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from backtests.config import dated_lot_symbol, normalise, sim_config

NIFTY = SimpleNamespace(kind="index", underlying="NIFTY", symbol="NIFTY", lot_size=65)
FUTURE = SimpleNamespace(kind="future", underlying="NIFTY", symbol="NIFTY26JANFUT", lot_size=65)
OTHER = SimpleNamespace(kind="index", underlying="", symbol="INDIAVIX", lot_size=1)


def test_only_covered_calendar_indices_get_dated_lots() -> None:
    assert dated_lot_symbol(NIFTY, date(2024, 11, 1)) == "NIFTY"
    assert dated_lot_symbol(NIFTY, date(2009, 6, 1)) is None  # before the lot table
    assert dated_lot_symbol(FUTURE, date(2024, 11, 1)) is None  # a contract keeps its own lot
    assert dated_lot_symbol(OTHER, date(2024, 11, 1)) is None  # not a calendar underlying


def test_normalise_stores_the_symbol_unless_a_lot_or_fixed_size_is_asked_for() -> None:
    lots = normalise(
        {"sizing": {"mode": "lots", "value": 2}}, lot_size=65, tick_size=0.05, lot_symbol="NIFTY"
    )
    # No lot_size beside the symbol: the engine would not use it, and 65 misleads on a 2024 run.
    assert lots["sizing"] == {"mode": "lots", "value": 2, "lot_symbol": "NIFTY"}
    assert sim_config(lots).sizing.lot_symbol == "NIFTY"
    explicit = normalise(
        {"sizing": {"mode": "lots", "lot_size": 50}},
        lot_size=65,
        tick_size=0.05,
        lot_symbol="NIFTY",
    )
    assert "lot_symbol" not in explicit["sizing"]
    fixed = normalise(
        {"sizing": {"mode": "fixed"}}, lot_size=65, tick_size=0.05, lot_symbol="NIFTY"
    )
    assert "lot_symbol" not in fixed["sizing"]


def test_rows_stored_with_a_fallback_lot_run_the_same() -> None:
    """Runs stored with ``lot_size`` beside ``lot_symbol`` re-run identically: each bar's lot
    comes from the calendar, across the 2024 revisions (50, 25, 75)."""
    import numpy as np

    from engine.backtest import run_backtest
    from engine.bars import Bars
    from engine.signals import Signals

    days = [date(2024, 4, 25), date(2024, 4, 26), date(2024, 11, 20)]
    ts = np.array(
        [
            np.datetime64(f"{d.isoformat()}T04:00", "ns").astype(np.int64)
            for d in days
            for _ in (0, 1)
        ]
    )
    ts += np.tile([0, 60_000_000_000], 3)
    close = np.full(len(ts), 100.0)
    bars = Bars.from_arrays(ts, close, close, close, close)
    entry = np.array([True, False] * 3)
    none = np.zeros(len(ts), dtype=bool)
    signals = Signals(entry_long=entry, exit_long=~entry, entry_short=none, exit_short=none)

    def trades(sizing: dict) -> list:
        wanted = {"sizing": sizing, "fill": "close"}
        config = normalise(wanted, lot_size=65, tick_size=0.05, lot_symbol="NIFTY")
        result = run_backtest(bars, signals, sim_config(config)).to_dict()
        return [(t["qty"], t["entry_time"]) for t in result["trades"]]

    new = trades({"mode": "lots", "value": 1})
    old = trades({"mode": "lots", "value": 1.0, "lot_symbol": "NIFTY", "lot_size": 65.0})
    assert new == old
    assert [q for q, _ in new] == [50.0, 25.0, 75.0]
