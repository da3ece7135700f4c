"""Edge inputs a user's data or settings can produce: the result is always a finite, storable
table, never a crash (short runs, losses beyond the margin, missing closes, one bar)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from engine.backtest import run_backtest
from engine.bars import Bars
from engine.signals import Signals
from engine.sim import SimConfig

MINUTE = 60_000_000_000
DAY = 86_400_000_000_000
T0 = 1_767_240_900_000_000_000  # 2026-01-01 09:15 IST


def bars(closes: list[float], step: int = MINUTE) -> Bars:
    c = np.array(closes, dtype=float)
    ts = T0 + step * np.arange(len(c))
    return Bars.from_arrays(ts, c, c, c, c)


def long_from_start(n: int) -> Signals:
    sig = Signals.empty(n)
    sig.entry_long[0] = True
    return sig


def storable(result) -> dict:
    body = result.to_dict()
    json.dumps(body, allow_nan=False)  # NaN must already be None; complex numbers fail here
    return body


def test_a_short_winning_run_has_no_cagr_instead_of_crashing() -> None:
    result = run_backtest(
        bars([100, 101, 102, 103, 108]), long_from_start(5), SimConfig(initial_cash=1000)
    )
    body = storable(result)
    assert body["stats"]["return_pct"] > 0
    assert body["stats"]["cagr_pct"] is None  # annualising minutes means nothing


def test_equity_below_zero_gives_finite_stats() -> None:
    config = SimConfig(initial_cash=100_000, margin=0.15, end_of_data="close_at_close")
    result = run_backtest(bars([100, 100, 40, 40], step=DAY), long_from_start(4), config)
    body = storable(result)
    assert body["stats"]["equity_final"] < 0
    assert body["stats"]["cagr_pct"] is None


def test_a_missing_close_while_flat_keeps_equity_at_cash() -> None:
    result = run_backtest(
        bars([100, float("nan"), 102, 103]), Signals.empty(4), SimConfig(initial_cash=1e5)
    )
    assert np.all(result.equity == 1e5)
    assert storable(result)["stats"]["equity_peak"] == 1e5


@pytest.mark.parametrize("closes", [[100.0], [100.0, 100.0, 100.0]])
def test_one_bar_or_flat_prices_are_storable(closes: list[float]) -> None:
    storable(run_backtest(bars(closes), long_from_start(len(closes)), SimConfig()))
