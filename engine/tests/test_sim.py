"""The state machine, case by case, with hand-computed fills."""

from __future__ import annotations

import numpy as np
import pytest

from engine.fees import FlatFees, PercentFees
from engine.signals import Level, RiskSettings
from engine.sim import SimConfig, Sizing, Slippage, simulate
from engine.sim import layout as L
from engine.tests.test_sim_kit import minute_bars, signals

FIXED10 = SimConfig(sizing=Sizing(mode="fixed", value=10), initial_cash=10_000)


def _one(result):  # the single trade as a dict
    assert len(result.trades) == 1, result.trades.to_frame()
    return result.trades.to_frame().iloc[0].to_dict()


def test_market_order_fills_next_open() -> None:
    bars = minute_bars([100, 101, 102, 103, 104, 105])
    res = simulate(bars, signals(6, entry_long=[1], exit_long=[3]), FIXED10)
    t = _one(res)
    # signal on bar 1 -> bar 2 open 102; exit signal bar 3 -> bar 4 open 104: 10 x 2 = 20
    assert (t["entry_bar"], t["exit_bar"], t["entry_price"], t["exit_price"]) == (2, 4, 102, 104)
    assert t["pnl"] == 20.0
    assert t["exit_reason"] == "signal"
    assert t["return_pct"] == pytest.approx(20 / 1020 * 100)
    assert res.equity[-1] == 10_020.0


def test_fill_at_signal_close_option() -> None:
    bars = minute_bars([100, 101, 102, 103], closes=[100.5, 101.5, 102.5, 103.5])
    res = simulate(
        bars,
        signals(4, entry_long=[0], exit_long=[2]),
        SimConfig(fill="close", sizing=Sizing(mode="fixed", value=1)),
    )
    t = _one(res)
    assert (t["entry_price"], t["exit_price"], t["entry_bar"], t["exit_bar"]) == (
        100.5,
        102.5,
        0,
        2,
    )


def test_short_trade_pnl() -> None:
    bars = minute_bars([100, 100, 98, 97, 95])
    t = _one(simulate(bars, signals(5, entry_short=[0], exit_short=[2]), FIXED10))
    # short at 100 (bar 1 open), cover at 97 (bar 3 open): 10 x 3 = 30
    assert (t["side"], t["entry_price"], t["exit_price"], t["pnl"]) == ("short", 100, 97, 30)


def test_stop_loss_points_fills_at_stop() -> None:
    bars = minute_bars([100, 100, 99.5, 99], lows=[100, 99.5, 97, 99], highs=[100, 100, 99.8, 99])
    risk = RiskSettings(stop_loss=Level(value=2))
    t = _one(simulate(bars, signals(4, entry_long=[0]), FIXED10, risk))
    # entry 100 at bar 1; stop 98; bar 2 low 97 touches it -> exit at 98
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"], t["pnl"]) == (2, 98, "stop", -20)


def test_gap_through_stop_fills_at_open() -> None:
    bars = minute_bars([100, 100, 95, 96], lows=[100, 99, 94, 96])
    risk = RiskSettings(stop_loss=Level(value=2))
    t = _one(simulate(bars, signals(4, entry_long=[0]), FIXED10, risk))
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (2, 95, "stop")


@pytest.mark.parametrize(
    ("stop_first", "price", "reason"), [(True, 98, "stop"), (False, 103, "target")]
)
def test_stop_and_target_in_one_bar(stop_first: bool, price: float, reason: str) -> None:
    bars = minute_bars([100, 100, 100, 100], highs=[100, 100, 104, 100], lows=[100, 100, 97, 100])
    risk = RiskSettings(stop_loss=Level(value=2), target=Level(value=3))
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=1), stop_first=stop_first)
    t = _one(simulate(bars, signals(4, entry_long=[0]), cfg, risk))
    assert (t["exit_price"], t["exit_reason"]) == (price, reason)


def test_target_percent_and_gap_through_target() -> None:
    bars = minute_bars([100, 100, 100, 106], highs=[100, 100, 101, 107])
    risk = RiskSettings(target=Level(value=5, unit="percent"))
    t = _one(simulate(bars, signals(4, entry_long=[0]), FIXED10, risk))
    # target 105; bar 2 high 101 misses; bar 3 opens at 106 above it -> filled at the open
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (3, 106, "target")


def test_trailing_stop_follows_the_high() -> None:
    o = [100, 100, 104, 108, 107, 104]
    bars = minute_bars(o, highs=[100, 101, 105, 110, 108, 105], lows=[100, 99, 103, 107, 106, 103])
    risk = RiskSettings(trailing_stop=Level(value=3))
    t = _one(simulate(bars, signals(6, entry_long=[0]), FIXED10, risk))
    # watermark after bar 3 is 110 -> trail 107; bar 4 low 106 touches it -> exit at 107
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (4, 107, "trailing")


def test_short_stop_percent() -> None:
    bars = minute_bars([200, 200, 201, 199], highs=[200, 200, 203, 199])
    risk = RiskSettings(stop_loss=Level(value=1, unit="percent"))
    t = _one(simulate(bars, signals(4, entry_short=[0]), FIXED10, risk))
    assert (t["exit_price"], t["exit_reason"], t["pnl"]) == (202, "stop", -20)


def test_reversal_closes_and_opens_at_the_same_open() -> None:
    bars = minute_bars([100, 101, 102, 103, 104])
    sig = signals(5, entry_long=[0], exit_short=[0], entry_short=[2], exit_long=[2])
    res = simulate(bars, sig, FIXED10)
    f = res.trades.to_frame()
    assert list(f.side) == ["long", "short"]
    assert list(f.entry_price) == [101, 103]
    assert list(f.exit_price) == [103, 104]  # the short is closed at the end of data
    assert list(f.exit_reason) == ["signal", "end"]


def test_end_of_data_close_is_optional() -> None:
    bars = minute_bars([100, 101, 102, 103])
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=1), end_of_data="keep_open")
    res = simulate(bars, signals(4, entry_long=[0]), cfg)
    assert len(res.trades) == 0
    assert res.position[-1] == 1.0
    assert res.equity[-1] == 100_000 + (103 - 101)


@pytest.mark.parametrize(("pyramiding", "qty", "avg"), [(1, 10, 101), (2, 20, 101.5)])
def test_pyramiding(pyramiding: int, qty: float, avg: float) -> None:
    bars = minute_bars([100, 101, 102, 103, 104])
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=10), pyramiding=pyramiding)
    # entries at bar 1 (101) and, when allowed, bar 2 (102): average 101.5
    t = _one(simulate(bars, signals(5, entry_long=[0, 1]), cfg))
    assert (t["qty"], t["entry_price"], t["entries"]) == (qty, avg, pyramiding)


def test_max_trades_per_day() -> None:
    bars = minute_bars([100] * 8)
    sig = signals(8, entry_long=[0, 3], exit_long=[1, 4])
    res = simulate(bars, sig, FIXED10, RiskSettings(max_trades_per_day=1))
    assert len(res.trades) == 1


def test_daily_max_loss_closes_and_blocks() -> None:
    bars = minute_bars([100, 100, 95, 94, 94, 94, 94])
    sig = signals(7, entry_long=[0, 4])
    res = simulate(bars, sig, FIXED10, RiskSettings(daily_max_loss=40))
    t = _one(res)
    # bar 2 closes at 95: open loss 50 >= 40 -> exit at bar 3 open (94); bar-4 entry is blocked
    assert (t["exit_bar"], t["exit_price"], t["exit_reason"]) == (3, 94, "guardrail")


def test_per_trade_max_loss_is_a_stop_level() -> None:
    bars = minute_bars([100, 100, 99, 99], lows=[100, 100, 96, 99])
    t = _one(
        simulate(bars, signals(4, entry_long=[0]), FIXED10, RiskSettings(per_trade_max_loss=25))
    )
    # 25 / 10 units = 2.5 points -> level 97.5
    assert (t["exit_price"], t["exit_reason"], t["pnl"]) == (97.5, "guardrail", -25)


def test_cooldown_bars() -> None:
    bars = minute_bars([100] * 8)
    sig = signals(8, entry_long=[0, 3, 4], exit_long=[1])
    res = simulate(bars, sig, FIXED10, RiskSettings(cooldown_bars=2))
    # exit fills on bar 2; bar 3 is 1 bar later (ignored), bar 4 is 2 later (ignored), none left
    assert len(res.trades) == 1
    res = simulate(
        bars, signals(8, entry_long=[0, 5], exit_long=[1]), FIXED10, RiskSettings(cooldown_bars=2)
    )
    assert len(res.trades) == 2


def test_min_hold_delays_signal_exit_not_stops() -> None:
    bars = minute_bars([100, 100, 101, 102, 103, 104])
    res = simulate(
        bars,
        signals(6, entry_long=[0], exit_long=[1, 2, 3]),
        FIXED10,
        RiskSettings(min_hold_bars=2),
    )
    # entry bar 1; exits at bar 1 (0 held) and 2 (1 held) ignored; bar 3 (2 held) -> fill bar 4
    assert _one(res)["exit_bar"] == 4


def test_square_off_and_no_entries_after_it() -> None:
    bars = minute_bars([100, 101, 102, 103, 104, 105], start="2024-01-01 15:22")
    sig = signals(6, entry_long=[0, 4])
    t = _one(simulate(bars, sig, FIXED10, RiskSettings(square_off="15:25")))
    # entry 15:23 open; 15:25 bar (index 3) squares off at its open 103; 15:26 entry is blocked
    assert (t["entry_bar"], t["exit_bar"], t["exit_price"], t["exit_reason"]) == (
        1,
        3,
        103,
        "square_off",
    )


def test_limit_entry_fills_at_limit_or_expires() -> None:
    bars = minute_bars([100, 100, 100, 100], lows=[100, 99.5, 98, 100], closes=[100] * 4)
    cfg = SimConfig(
        sizing=Sizing(mode="fixed", value=1),
        entry_order="limit",
        entry_offset=Level(value=1),
        order_valid_bars=2,
    )
    t = _one(simulate(bars, signals(4, entry_long=[0]), cfg))
    # limit 99: bar 1 low 99.5 misses, bar 2 low 98 fills at 99
    assert (t["entry_bar"], t["entry_price"]) == (2, 99)
    cfg1 = SimConfig(
        sizing=Sizing(mode="fixed", value=1),
        entry_order="limit",
        entry_offset=Level(value=1),
        order_valid_bars=1,
    )
    assert len(simulate(bars, signals(4, entry_long=[0]), cfg1).trades) == 0


def test_stop_entry_order() -> None:
    bars = minute_bars([100, 100.5, 102, 103], highs=[100, 101.5, 102.5, 103])
    cfg = SimConfig(
        sizing=Sizing(mode="fixed", value=1),
        entry_order="stop",
        entry_offset=Level(value=1, unit="percent"),
        order_valid_bars=3,
    )
    t = _one(simulate(bars, signals(4, entry_long=[0]), cfg))
    # stop 101: bar 1 high 101.5 triggers -> filled at 101
    assert (t["entry_bar"], t["entry_price"]) == (1, 101)


def test_sizing_modes() -> None:
    bars = minute_bars([100, 100, 100])

    def qty(sizing: Sizing, fees=None, cash: float = 10_000) -> float:
        cfg = SimConfig(sizing=sizing, fees=fees or "zero", initial_cash=cash)
        return _one(simulate(bars, signals(3, entry_long=[0]), cfg))["qty"]

    assert qty(Sizing(mode="fixed", value=7)) == 7
    assert qty(Sizing(mode="lots", value=2, lot_size=25)) == 50
    assert qty(Sizing(mode="percent", value=50)) == 50  # 5000 / 100
    assert qty(Sizing(mode="percent", value=50, lot_size=15)) == 45
    assert qty(Sizing(mode="all_in")) == 100
    # 1% commission: 99 x 100 = 9900 + 99 = 9999 <= 10000, 100 units would cost 10100
    assert qty(Sizing(mode="all_in"), PercentFees(percent=1)) == 99


def test_rejection_instead_of_negative_cash() -> None:
    bars = minute_bars([100, 100, 100])
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=200), initial_cash=10_000)
    res = simulate(bars, signals(3, entry_long=[0]), cfg)
    assert len(res.trades) == 0
    assert res.rejections.to_records()[0] | {"time": None} == {
        "bar": 1,
        "time": None,
        "side": "long",
        "qty": 200.0,
        "price": 100.0,
        "reason": "insufficient_funds",
    }
    assert np.all(res.cash >= 0)
    margin = SimConfig(sizing=Sizing(mode="fixed", value=200), initial_cash=10_000, margin=0.2)
    assert len(simulate(bars, signals(3, entry_long=[0]), margin).trades) == 1


def test_slippage_ticks_and_bps() -> None:
    bars = minute_bars([100, 100, 100, 100])
    cfg = SimConfig(
        sizing=Sizing(mode="fixed", value=1), slippage=Slippage(ticks=2, tick_size=0.05, bps=10)
    )
    t = _one(simulate(bars, signals(4, entry_long=[0], exit_long=[1]), cfg))
    # buy: 100 + 0.10 + 0.10 (10 bps) = 100.2; sell: 100 - 0.2 = 99.8
    assert t["entry_price"] == pytest.approx(100.2)
    assert t["exit_price"] == pytest.approx(99.8)


def test_trade_carries_charges() -> None:
    bars = minute_bars([100, 100, 110, 110])
    cfg = SimConfig(sizing=Sizing(mode="fixed", value=10), fees=FlatFees(amount=20))
    t = _one(simulate(bars, signals(4, entry_long=[0], exit_long=[1]), cfg))
    # gross 10 x 10 = 100; 20 per order x 2 = 40
    assert (t["gross_pnl"], t["charges"], t["charges_brokerage"], t["pnl"]) == (100, 40, 40, 60)


def test_state_layout_is_plain_floats() -> None:
    res = simulate(minute_bars([100, 101]), signals(2), FIXED10)
    assert res.state.shape == (L.NS,)
    assert res.state[L.S_CASH] == 10_000


def test_short_session_squares_off_at_its_last_close() -> None:
    day1 = minute_bars([100, 101, 102], closes=[100.5, 101.5, 102.5], start="2024-03-02 12:27")
    day2 = minute_bars([110, 111], start="2024-03-05 09:15")
    bars = type(day1).from_arrays(
        np.r_[day1.ts, day2.ts],
        np.r_[day1.open, day2.open],
        np.r_[day1.high, day2.high],
        np.r_[day1.low, day2.low],
        np.r_[day1.close, day2.close],
    )
    t = _one(
        simulate(bars, signals(5, entry_long=[0, 2]), FIXED10, RiskSettings(square_off="15:25"))
    )
    # the 12:29 bar ends the day: exit at its close 102.5, not at the next session's open;
    # the entry signal on that last bar is not acted on
    assert (t["entry_price"], t["exit_bar"], t["exit_price"], t["exit_reason"]) == (
        101,
        2,
        102.5,
        "square_off",
    )
