"""Sizing in lots uses the lot in force on each bar's date (NIFTY 25 -> 75 on 2024-11-20)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from engine.bars import Bars
from engine.sim import SimConfig, Sizing, simulate
from engine.sim import layout as L
from engine.sim.run import Prepared, simulate_prepared
from engine.sim.session import SimSession
from engine.tests.test_sim_kit import signals

# 2024-11-20 was a holiday (Maharashtra assembly poll): the bars are the last four minutes of
# 2024-11-19 (lot 25) and the first four of 2024-11-21 (lot 75).
STAMPS = [
    "2024-11-19 15:25",
    "2024-11-19 15:26",
    "2024-11-19 15:27",
    "2024-11-19 15:28",
    "2024-11-21 09:15",
    "2024-11-21 09:16",
    "2024-11-21 09:17",
    "2024-11-21 09:18",
]
OPENS = [24_000.0, 24_010.0, 24_020.0, 24_030.0, 23_500.0, 23_510.0, 23_530.0, 23_540.0]


def bars() -> Bars:
    ts = pd.DatetimeIndex(STAMPS).tz_localize("Asia/Kolkata").as_unit("ns").asi8
    o = np.asarray(OPENS)
    return Bars.from_arrays(ts, o, o, o, o)


def config(mode: str = "lots", value: float = 2, cash: float = 10_000_000) -> SimConfig:
    sizing = Sizing(mode=mode, value=value, lot_size=50, lot_symbol="NIFTY")  # type: ignore[arg-type]
    return SimConfig(initial_cash=cash, sizing=sizing, fees="zero")


def test_each_side_of_the_revision_uses_its_own_lot() -> None:
    # Signals on bars 0 and 2 fill at the next opens: 2 lots x 25 = 50 at 24,010, out at 24,030
    # (gross 20 x 50 = 1,000). Bars 4 and 6: 2 lots x 75 = 150 at 23,510, out at 23,540 (30 x 150
    # = 4,500).
    sig = signals(8, entry_long=[0, 4], exit_long=[2, 6])
    trades = simulate(bars(), sig, config()).trades.to_frame()
    assert trades["qty"].tolist() == [50, 150]
    assert trades["entry_price"].tolist() == [24_010, 23_510]
    assert trades["pnl"].tolist() == [1_000, 4_500]


def test_the_fill_bar_decides_the_lot() -> None:
    # Signal on the last bar of 2024-11-19, filled at the open of 2024-11-21: 2 x 75 = 150.
    trades = simulate(bars(), signals(8, entry_long=[3]), config()).trades.to_frame()
    assert trades["qty"].tolist() == [150]


def test_all_in_rounds_to_the_bars_lot() -> None:
    # Rs 30 lakh, cash account. At 24,010 with lot 25: 3e6 / 24,010 = 124.95 units -> 4 lots =
    # 100. At 23,510 with lot 75: 3e6 / 23,510 = 127.6 units -> 1 lot = 75.
    sig = signals(8, entry_long=[0, 4], exit_long=[2, 6])
    trades = simulate(bars(), sig, config("all_in", 1, 3_000_000)).trades.to_frame()
    assert trades["qty"].tolist() == [100, 75]


def test_without_a_symbol_the_fixed_lot_is_used_and_params_stay_shared() -> None:
    sig = signals(8, entry_long=[0, 4], exit_long=[2, 6])
    fixed = SimConfig(initial_cash=10_000_000, sizing=Sizing(mode="lots", value=2, lot_size=50))
    assert simulate(bars(), sig, fixed).trades.to_frame()["qty"].tolist() == [100, 100]
    prep = Prepared.build(bars(), config(), None)
    np.testing.assert_array_equal(prep.lots, [25, 25, 25, 25, 75, 75, 75, 75])
    np.testing.assert_array_equal(prep.slice(3, 5).lots, [25, 75])
    simulate_prepared(prep, sig)
    assert prep.params[L.P_LOT] == 50  # a sweep reuses params: the kernel wrote into a copy


def test_paper_session_sizes_like_the_backtest() -> None:
    b, sig = bars(), signals(8, entry_long=[0, 4], exit_long=[2, 6])
    session = SimSession(config())
    for i in range(len(b)):
        nxt = int(b.ts[i + 1]) if i + 1 < len(b) else None
        session.on_bar(
            ts=int(b.ts[i]),
            open=b.open[i],
            high=b.high[i],
            low=b.low[i],
            close=b.close[i],
            entry_long=bool(sig.entry_long[i]),
            exit_long=bool(sig.exit_long[i]),
            next_ts=nxt,
        )
    assert session.trades.to_frame()["qty"].tolist() == [50, 150]


def test_a_run_before_the_lot_table_is_an_error() -> None:
    ts = pd.DatetimeIndex(["2009-06-01 10:00"]).tz_localize("Asia/Kolkata").as_unit("ns").asi8
    one = Bars.from_arrays(ts, *(np.asarray([5_000.0]),) * 4)
    with pytest.raises(ValueError, match="lot size of NIFTY on 2009-06-01"):
        simulate(one, signals(1), config())


def test_fixed_sizing_reads_no_lot_in_the_backtest_nor_the_paper_session() -> None:
    """``fixed`` units never read a lot, so a bar before the lot table is no error in either."""
    ts = pd.DatetimeIndex(["2009-06-01 10:00"]).tz_localize("Asia/Kolkata").as_unit("ns").asi8
    one = Bars.from_arrays(ts, *(np.asarray([5_000.0]),) * 4)
    fixed = SimConfig(sizing=Sizing(mode="fixed", value=1, lot_symbol="NIFTY"))
    assert simulate(one, signals(1), fixed).trades.to_frame().empty
    session = SimSession(fixed)
    session.on_bar(ts=int(ts[0]), open=5_000.0, high=5_000.0, low=5_000.0, close=5_000.0)
    assert session.trades.to_frame().empty
