"""End-of-data options and the counts of entries refused or not taken, with exact numbers."""

from __future__ import annotations

import pytest

from engine.backtest import run_backtest
from engine.fees import FlatFees
from engine.signals import Level, RiskSettings
from engine.sim import SimConfig, Sizing, simulate
from engine.sim import layout as L
from engine.sim.session import SimSession
from engine.tests.test_sim_kit import minute_bars, signals

# opens 100..103, closes half a point higher; 10 units; ₹20 a order
OPENS, CLOSES = [100, 101, 102, 103], [100.5, 101.5, 102.5, 103.5]


def _cfg(end: str, **kw: object) -> SimConfig:
    return SimConfig(
        sizing=Sizing(mode="fixed", value=10), fees=FlatFees(amount=20), end_of_data=end, **kw
    )  # type: ignore[arg-type]


def test_end_of_data_close_at_close_is_the_default() -> None:
    assert SimConfig().end_of_data == "close_at_close"
    res = simulate(
        minute_bars(OPENS, closes=CLOSES), signals(4, entry_long=[0]), _cfg("close_at_close")
    )
    t = res.trades.to_frame().iloc[0]
    # bought at bar 1's open 101, sold at bar 3's close 103.5: 10 x 2.5 - 2 x 20 = -15
    assert (t.exit_bar, t.exit_price, t.exit_reason, t.pnl) == (3, 103.5, "end", -15.0)
    assert res.equity[-1] == 99_985.0 and res.open_position is None


def test_end_of_data_close_at_open() -> None:
    res = simulate(
        minute_bars(OPENS, closes=CLOSES), signals(4, entry_long=[0]), _cfg("close_at_open")
    )
    t = res.trades.to_frame().iloc[0]
    # sold at bar 3's open 103: 10 x 2 - 40 = -20; the last bar is not traded further
    assert (t.exit_bar, t.exit_price, t.exit_reason, t.pnl) == (3, 103.0, "end", -20.0)
    assert res.equity[-1] == 99_980.0 and res.position[-1] == 0.0


def test_close_at_open_fills_a_pending_exit_with_its_own_reason() -> None:
    res = simulate(
        minute_bars(OPENS, closes=CLOSES),
        signals(4, entry_long=[0], exit_long=[2]),
        _cfg("close_at_open"),
    )
    t = res.trades.to_frame().iloc[0]
    assert (t.exit_bar, t.exit_price, t.exit_reason) == (3, 103.0, "signal")


def test_close_at_open_drops_an_entry_for_the_last_bar() -> None:
    res = simulate(
        minute_bars(OPENS, closes=CLOSES), signals(4, entry_long=[2]), _cfg("close_at_open")
    )
    assert len(res.trades) == 0 and res.equity[-1] == 100_000.0
    assert res.rejection_counts["end_of_data"] == 1


def test_end_of_data_keep_open_reports_an_open_position() -> None:
    bars = minute_bars(OPENS, closes=CLOSES)
    result = run_backtest(bars, signals(4, entry_long=[0]), _cfg("keep_open"))
    assert len(result.trades) == 0 and result.stats["trades"] == 0
    # cash 100000 - 1010 - 20 = 98970, plus 10 x 103.5 marked = 100005
    assert result.equity[-1] == 100_005.0
    body = result.to_dict()
    assert body["open_position"] | {"entry_time": None} == {
        "side": "long",
        "qty": 10.0,
        "entry_bar": 1,
        "entry_time": None,
        "entry_price": 101.0,
        "entries": 1,
        "entry_charges": 20.0,
        "mark_price": 103.5,
        "unrealised_pnl": 5.0,  # 10 x 2.5 - 20 (the exit charge is not paid yet)
    }
    assert body["open_position"]["entry_time"] == "2024-01-01T09:16:00+05:30"
    assert body["trades"] == []


def test_keep_open_short_position() -> None:
    res = simulate(
        minute_bars(OPENS, closes=CLOSES), signals(4, entry_short=[0]), _cfg("keep_open")
    )
    pos = res.open_position
    assert pos is not None and (pos.side, pos.qty, pos.entry_price) == ("short", 10.0, 101.0)
    assert pos.unrealised_pnl == -45.0  # 10 x (101 - 103.5) - 20


def test_end_of_data_is_validated() -> None:
    with pytest.raises(
        ValueError,
        match="end_of_data must be one of close_at_close, close_at_open, keep_open, got 'close'",
    ):
        SimConfig(end_of_data="close")  # type: ignore[arg-type]


# -- why entries were not taken ----------------------------------------------------------


def _counts(
    bars_open: list[float], cfg: SimConfig, risk: RiskSettings | None = None, **sig: list[int]
) -> dict[str, int]:
    res = simulate(minute_bars(bars_open), signals(len(bars_open), **sig), cfg, risk)
    return {k: v for k, v in res.rejection_counts.items() if v}


FIXED10 = SimConfig(sizing=Sizing(mode="fixed", value=10), initial_cash=10_000)


def test_every_reason_is_reported_even_at_zero() -> None:
    res = simulate(minute_bars([100] * 3), signals(3), FIXED10)
    assert res.rejection_counts == dict.fromkeys(L.REJECT_REASONS.values(), 0)
    assert list(res.rejection_counts) == [
        "insufficient_funds",
        "zero_size",
        "insufficient_margin",
        "outside_window",
        "max_trades_per_day",
        "daily_loss_limit",
        "cooldown",
        "order_expired",
        "end_of_data",
        "no_level",
    ]


def test_insufficient_funds_and_margin() -> None:
    cash = SimConfig(sizing=Sizing(mode="fixed", value=200), initial_cash=10_000)
    assert _counts([100] * 3, cash, entry_long=[0]) == {"insufficient_funds": 1}  # 20000 > 10000
    margin = SimConfig(sizing=Sizing(mode="fixed", value=600), initial_cash=10_000, margin=0.2)
    assert _counts([100] * 3, margin, entry_long=[0]) == {"insufficient_margin": 1}  # 12000
    res = simulate(minute_bars([100] * 3), signals(3, entry_long=[0]), margin)
    assert res.rejections.to_records()[0]["reason"] == "insufficient_margin"


def test_zero_size() -> None:
    cfg = SimConfig(sizing=Sizing(mode="percent", value=0.5), initial_cash=10_000)
    assert _counts([100] * 3, cfg, entry_long=[0]) == {"zero_size": 1}  # 50 / 100 < 1 unit


def test_outside_window() -> None:
    # square-off 09:17: a signal at 09:16 would fill at 09:17, one at 09:17 is in the window
    risk = RiskSettings(square_off="09:17")
    assert _counts([100] * 4, FIXED10, risk, entry_long=[1, 2]) == {"outside_window": 2}


def test_max_trades_per_day() -> None:
    risk = RiskSettings(max_trades_per_day=1)
    got = _counts([100] * 8, FIXED10, risk, entry_long=[0, 3, 5], exit_long=[1])
    assert got == {"max_trades_per_day": 2}


def test_daily_loss_limit() -> None:
    risk = RiskSettings(daily_max_loss=40)
    # bar 2 closes at 95: open loss 50 -> guardrail exit at bar 3; entries at 4 and 5 blocked
    got = _counts([100, 100, 95, 94, 94, 94, 94], FIXED10, risk, entry_long=[0, 4, 5])
    assert got == {"daily_loss_limit": 2}


def test_cooldown() -> None:
    # the exit fills on bar 2; signals on bars 3 and 4 are within 2 bars of it
    risk = RiskSettings(cooldown_bars=2)
    got = _counts([100] * 8, FIXED10, risk, entry_long=[0, 3, 4], exit_long=[1])
    assert got == {"cooldown": 2}
    # a same-bar reversal is a cooldown refusal too: the short is not opened with the exit
    got = _counts([100] * 8, FIXED10, risk, entry_long=[0], entry_short=[2])
    assert got == {"cooldown": 1}


def test_order_expired() -> None:
    cfg = SimConfig(
        sizing=Sizing(mode="fixed", value=10), entry_order="limit", entry_offset=Level(value=5)
    )
    assert _counts([100] * 4, cfg, entry_long=[0]) == {"order_expired": 1}  # 95 never reached


def test_end_of_data_signal() -> None:
    assert _counts([100] * 3, FIXED10, entry_long=[2]) == {"end_of_data": 1}


def test_held_position_is_not_a_refusal() -> None:
    assert _counts([100] * 5, FIXED10, entry_long=[0, 1, 2, 3]) == {}  # long from bar 1 on


def test_session_counts_match_the_backtest() -> None:
    bars = minute_bars([100, 100, 95, 94, 94, 94, 94])
    sig = signals(7, entry_long=[0, 4, 5])
    risk = RiskSettings(daily_max_loss=40)
    full = simulate(bars, sig, FIXED10, risk)
    session = SimSession(FIXED10, risk)
    for i in range(len(bars)):
        session.on_bar(
            ts=int(bars.ts[i]),
            open=float(bars.open[i]),
            high=float(bars.high[i]),
            low=float(bars.low[i]),
            close=float(bars.close[i]),
            entry_long=bool(sig.entry_long[i]),
            next_ts=int(bars.ts[i + 1]) if i + 1 < len(bars) else None,
        )
    assert session.rejection_counts == full.rejection_counts
    assert run_backtest(bars, sig, FIXED10, risk=risk).to_dict()["rejection_counts"] == (
        full.rejection_counts
    )
