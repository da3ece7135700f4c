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
    assert lots["sizing"] == {"mode": "lots", "value": 2, "lot_symbol": "NIFTY", "lot_size": 65.0}
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
