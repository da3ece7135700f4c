"""A session's protective exit reaches the paper broker as a resting order at the engine's
level, and the paper broker's bar rule fills it at the engine's price (no database)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from engine.graph import compile_graph, example_documents
from engine.graph.testing import random_walk_bars
from engine.live import Bar, LiveRunner
from engine.sim import SimConfig
from engine.sim.config import Sizing, Slippage
from trades.brokers.paper import BarRange, bar_fill_price

CONF = {"slippage_ticks": 1.0, "tick_size": 0.05, "slippage_bps": 2.0}


def order(side: str, kind: str, price: float | None = None, trigger: float | None = None):
    return SimpleNamespace(
        side=side,
        order_type=kind,
        price=None if price is None else Decimal(str(price)),
        trigger_price=None if trigger is None else Decimal(str(trigger)),
    )


def test_a_stop_fills_at_its_trigger_or_the_open_it_gapped_through_slipped():
    bar = BarRange(open=100.0, high=101.0, low=97.0)
    slip = 0.05 + 98.0 * 2 / 10_000
    assert bar_fill_price(order("SELL", "STOP_LOSS_MARKET", trigger=98.0), bar, CONF) == (
        pytest.approx(98.0 - slip)
    )
    gap = 0.05 + 100.0 * 2 / 10_000
    assert bar_fill_price(order("SELL", "STOP_LOSS_MARKET", trigger=100.5), bar, CONF) == (
        pytest.approx(100.0 - gap)
    )
    assert bar_fill_price(order("SELL", "STOP_LOSS_MARKET", trigger=96.0), bar, CONF) is None
    assert bar_fill_price(order("BUY", "STOP_LOSS_MARKET", trigger=102.0), bar, CONF) is None


def test_a_limit_fills_at_its_price_or_the_better_open_not_slipped():
    bar = BarRange(open=100.0, high=101.0, low=97.0)
    assert bar_fill_price(order("SELL", "LIMIT", price=100.8), bar, CONF) == 100.8
    assert bar_fill_price(order("SELL", "LIMIT", price=99.0), bar, CONF) == 100.0
    assert bar_fill_price(order("BUY", "LIMIT", price=97.5), bar, CONF) == 97.5
    assert bar_fill_price(order("SELL", "LIMIT", price=101.5), bar, CONF) is None


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_protective_exit_of_the_engine_is_an_order_the_broker_fills_at_its_price(seed):
    doc = example_documents()["sma_cross"]
    doc["settings"]["risk"] = {
        "stop_loss": {"value": 0.3, "unit": "percent"},
        "target": {"value": 0.2, "unit": "percent"},
        "trailing_stop": {"value": 0.5, "unit": "percent"},
    }
    config = SimConfig(
        initial_cash=1e9,
        fill="close",
        sizing=Sizing(mode="lots", value=1, lot_size=75),
        slippage=Slippage(ticks=1, tick_size=0.05, bps=2),
        end_of_data="keep_open",
    )
    runner = LiveRunner(compile_graph(doc), config)
    bars = random_walk_bars(375 * 2, seed=seed)
    kinds = set()
    for k in range(len(bars)):
        bar = Bar(*(float(getattr(bars, f)[k]) for f in ("ts", "open", "high", "low", "close")))
        bar.ts = int(bars.ts[k])
        nxt = int(bars.ts[k + 1]) if k + 1 < len(bars) else None
        for fill in runner.step(bar, nxt).fills:
            if fill.order_type == "MARKET":
                continue  # at the close: the paper broker's quote right after the bar
            kinds.add((fill.order_type, fill.reason))
            kind = fill.order_type
            level = round(fill.level, 4)  # as the order stores it (4 decimals)
            row = order(
                fill.side,
                kind,
                price=level if kind == "LIMIT" else None,
                trigger=level if kind != "LIMIT" else None,
            )
            got = bar_fill_price(row, BarRange(bar.open, bar.high, bar.low), CONF)
            assert got == pytest.approx(fill.price, abs=1e-4), (fill, bar)
    assert {("STOP_LOSS_MARKET", "stop"), ("LIMIT", "target")} <= kinds, kinds
