"""Option legs trade premiums: hand-computed fills and P&L on real EOD option data and on
model premiums, multi-leg groups, re-entry, refusals, and P&L = (exit - entry) x units x side
- charges for every trade."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.backtest import run_backtest
from engine.bars import Bars
from engine.fees import get_fee_model
from engine.graph import compile_graph, example_documents, validate
from engine.options.config import LegError, OptionsConfig
from engine.options.contracts import OptionChainSource
from engine.options.frames import FrameChain
from engine.options.legs import LegSpec, PremiumLevel
from engine.options.pricing import YEAR_MINUTES, black76_one, years_to_expiry
from engine.options.sim import simulate_legs
from engine.signals import RiskSettings, Signals
from engine.sim import layout as L
from engine.sim.config import SimConfig

ROOT = Path(__file__).resolve().parents[2]
EOD = ROOT / "../shared/data/nifty_options_eod_monthly-expiry_2019-01_2019-03_2021-01.csv.gz"
INDEX = ROOT / "../shared/data/nifty50_daily_2000-01_2024-02_niftyindices.csv.gz"
IST = "Asia/Kolkata"


def _eod() -> tuple[Bars, FrameChain]:
    if not EOD.exists() or not INDEX.exists():
        pytest.skip(f"real data absent: {EOD.name} / {INDEX.name} (../shared/data)")
    chain = FrameChain.from_nse_eod(EOD)
    idx = pd.read_csv(INDEX, parse_dates=["date"]).set_index("date")
    idx = idx.loc["2019-01-01":"2019-01-31"]
    return Bars.from_frame(idx.tz_localize(IST)), chain


def _signals(n: int, legs: dict[str, list[int]], exits: Sequence[int] = ()) -> Signals:
    s = Signals.empty(n)
    s.entry_long[[i for bars in legs.values() for i in bars]] = True
    s.exit_long[list(exits)] = True
    fired = {}
    for node, bars in legs.items():
        arr = np.zeros(n, dtype=np.bool_)
        arr[bars] = True
        fired[node] = arr
    return Signals(
        entry_long=s.entry_long,
        exit_long=s.exit_long,
        entry_short=s.entry_short,
        exit_short=s.exit_short,
        actions={"entry_long": tuple(legs)},
        fired=fired,
    )


def _spec(node: str, side: int, right: str, **kw: object) -> LegSpec:
    base = {"lots": 1, "underlying": "NIFTY", "expiry": "current_month", "strike": "ATM"}
    return LegSpec(node=node, side=side, right=right, **(base | kw))  # type: ignore[arg-type]


def _run(bars: Bars, signals: Signals, legs: dict[str, LegSpec], **cfg: object):
    options = cfg.pop("options")
    timeframe = str(cfg.pop("timeframe", "1m"))
    risk = cfg.pop("risk", None) or RiskSettings()
    config = SimConfig(initial_cash=1e6, options=options, **cfg)  # type: ignore[arg-type]
    return simulate_legs(
        bars,
        signals,
        {k: (v, "entry_long") for k, v in legs.items()},
        config,
        risk,  # type: ignore[arg-type]
        timeframe=timeframe,
    )


# --- real premiums (NSE EOD, January 2019 monthly contracts) -------------------------------
def test_a_bought_atm_call_trades_the_contracts_real_premiums() -> None:
    bars, chain = _eod()
    # Fires at the close of 2019-01-01 (NIFTY 10,910.10: ATM 10,900); fills at the next
    # open, 2019-01-02, CE 10900 opened at 190.50. Exit gate on 2019-01-03; out at the open of
    # 2019-01-04, 107.20. 1 lot of 75 (January 2019).
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0]}, exits=[2]),
        {"ce": _spec("ce", 1, "CE")},
        options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
        timeframe="1d",
    )
    (trade,) = run.records
    fact = run.facts[0]
    assert (fact["strike"], fact["option_type"], fact["expiry"]) == (10_900.0, "CE", "2019-01-31")
    assert (fact["premium_in"], fact["premium_out"]) == (190.5, 107.2)
    assert (fact["units"], fact["lot_size"], fact["premium_source"]) == (75, 75, "real")
    assert trade[L.T_ENTRY_BAR] == 1 and trade[L.T_EXIT_BAR] == 3
    assert trade[L.T_PNL] == pytest.approx((107.2 - 190.5) * 75)  # zero fees: -6,247.50
    assert L.EXIT_REASONS[int(trade[L.T_REASON])] == "signal"


def test_a_short_straddle_leg_stops_alone_and_the_other_leaves_with_the_group() -> None:
    bars, chain = _eod()
    # Sold at the 2019-01-02 open: CE 190.50, PE 199.90; 25% stops at 238.125 / 249.875.
    # The PE's high that day (256.65) reaches its stop: bought back at 249.875. The CE stays
    # until the exit gate (01-03) and leaves at the 01-04 open, 107.20.
    stop = PremiumLevel(25.0, "percent")
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0], "pe": [0]}, exits=[2]),
        {"ce": _spec("ce", -1, "CE", stop=stop), "pe": _spec("pe", -1, "PE", stop=stop)},
        options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
        timeframe="1d",
    )
    by_leg = {f["leg"]: (f, r) for f, r in zip(run.facts, run.records, strict=True)}
    pe, pe_rec = by_leg["pe"]
    ce, ce_rec = by_leg["ce"]
    assert pe["premium_out"] == pytest.approx(249.875)
    assert pe_rec[L.T_PNL] == pytest.approx(-(249.875 - 199.9) * 75)
    assert L.EXIT_REASONS[int(pe_rec[L.T_REASON])] == "stop" and pe_rec[L.T_EXIT_BAR] == 1
    assert ce_rec[L.T_PNL] == pytest.approx((190.5 - 107.2) * 75)
    assert ce["group"] == pe["group"] == 1


def test_indian_option_charges_on_premium_with_stt_on_the_sell() -> None:
    bars, chain = _eod()
    fees = get_fee_model("india_options")
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0]}, exits=[2]),
        {"ce": _spec("ce", 1, "CE")},
        options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
        timeframe="1d",
        fees=fees,
    )
    (trade,) = run.records
    buy = fees.charges(price=190.5, qty=75, side="buy", on=date(2019, 1, 2))
    sell = fees.charges(price=107.2, qty=75, side="sell", on=date(2019, 1, 4))
    assert buy.stt == 0 and sell.stt > 0  # a bought option pays STT when it is sold
    assert trade[L.T_ENTRY_FEES] == pytest.approx(buy.total)
    assert trade[L.T_EXIT_FEES] == pytest.approx(sell.total)
    assert trade[L.T_PNL] == pytest.approx((107.2 - 190.5) * 75 - buy.total - sell.total)


def test_a_real_leg_without_a_premium_on_a_bar_names_the_contract_and_time() -> None:
    bars, chain = _eod()
    key = ("NIFTY", 10_900.0, "CE", date(2019, 1, 31))
    g = chain.by_key[key]
    chain.by_key[key] = g[g.index != pd.Timestamp("2019-01-03", tz=IST)]
    with pytest.raises(LegError, match=r"no premium for .*10900CE.*2019-01-03"):
        _run(
            bars,
            _signals(len(bars), {"ce": [0]}, exits=[4]),
            {"ce": _spec("ce", 1, "CE")},
            options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
            timeframe="1d",
        )


def test_real_then_model_fills_a_missing_bar_from_the_model_and_says_so() -> None:
    bars, chain = _eod()
    key = ("NIFTY", 10_900.0, "CE", date(2019, 1, 31))
    g = chain.by_key[key]
    chain.by_key[key] = g[g.index != pd.Timestamp("2019-01-03", tz=IST)]
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0]}, exits=[4]),
        {"ce": _spec("ce", 1, "CE")},
        options=OptionsConfig(
            premium_source="real_then_model", chain=chain, iv=0.15, underlying="NIFTY"
        ),
        timeframe="1d",
    )
    assert run.facts[0]["premium_source"] == "real_then_model"
    assert run.facts[0]["premium_in"] == 190.5  # the stored open where it exists


def test_a_leg_held_to_expiry_closes_at_the_expiry_bar() -> None:
    bars, chain = _eod()
    run = _run(
        bars,
        _signals(len(bars), {"ce": [len(bars) - 4]}),
        {"ce": _spec("ce", 1, "CE")},
        options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
        timeframe="1d",
    )
    (trade,) = run.records
    assert run.facts[0]["expiry"] == "2019-01-31"
    assert trade[L.T_EXIT_BAR] == len(bars) - 1  # 2019-01-31, its own expiry day
    assert int(trade[L.T_REASON]) == 7  # "expiry"


# --- model premiums -------------------------------------------------------------------------
def _minute_bars(start: str, closes: list[float]) -> Bars:
    idx = pd.date_range(start, periods=len(closes), freq="1min", tz=IST)
    c = np.asarray(closes, dtype=float)
    frame = pd.DataFrame({"open": c, "high": c + 2, "low": c - 2, "close": c}, index=idx)
    return Bars.from_frame(frame)


def test_a_model_leg_prices_black76_with_trading_minutes_to_expiry() -> None:
    # Monday 2024-03-04 10:00..10:04 IST; the weekly expiry is Thursday 03-07 (15:30).
    bars = _minute_bars("2024-03-04 10:00", [22_010.0, 22_020.0, 22_040.0, 22_030.0, 22_000.0])
    out = _run(
        bars,
        _signals(len(bars), {"ce": [0]}, exits=[2]),
        {"ce": _spec("ce", 1, "CE", expiry="current_week")},
        options=OptionsConfig(premium_source="model", iv=0.14, rate=0.065, underlying="NIFTY"),
    )
    fact, trade = out.facts[0], out.records[0]
    assert fact["strike"] == 22_000.0 and fact["expiry"] == "2024-03-07"
    assert fact["lot_size"] == 50  # NIFTY lot in March 2024
    # entry at the 10:01 open (spot 22,020): 329 + 3 x 375 trading minutes left
    t_in = (329 + 3 * 375) / YEAR_MINUTES
    premium_in = black76_one(22_020.0 * np.exp(0.065 * t_in), 22_000.0, t_in, 0.14, 0.065, True)
    # exit at the 10:03 open (spot 22,030)
    t_out = (327 + 3 * 375) / YEAR_MINUTES
    premium_out = black76_one(22_030.0 * np.exp(0.065 * t_out), 22_000.0, t_out, 0.14, 0.065, True)
    assert fact["premium_in"] == pytest.approx(premium_in, abs=1e-9)
    assert fact["premium_out"] == pytest.approx(premium_out, abs=1e-9)
    assert trade[L.T_PNL] == pytest.approx((premium_out - premium_in) * 50, abs=1e-6)
    assert fact["premium_source"] == "model"


def test_a_group_target_closes_every_leg_together() -> None:
    bars = _minute_bars("2024-03-04 10:00", [22_000.0] * 3 + [22_400.0] * 5)
    legs = {
        "ce": _spec("ce", 1, "CE", expiry="current_week"),
        "pe": _spec("pe", -1, "PE", expiry="current_week"),
    }
    from engine.options.sim import GroupLevels

    config = SimConfig(
        initial_cash=1e6,
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    run = simulate_legs(
        bars,
        _signals(len(bars), {"ce": [0], "pe": [0]}),
        {k: (v, "entry_long") for k, v in legs.items()},
        config,
        RiskSettings(),
        group_levels=GroupLevels(target=PremiumLevel(5_000.0, "points")),
    )
    exits = {int(r[L.T_EXIT_BAR]) for r in run.records}
    reasons = {int(r[L.T_REASON]) for r in run.records}
    assert exits == {3} and reasons == {9}  # both at the close of the jump bar: group_target
    assert run.records[:, L.T_PNL].sum() >= 5_000.0 - 200  # less the charges (zero here)


def test_immediate_reentry_after_a_stop_up_to_n_per_day() -> None:
    # A rising spot stops a short call again and again; two re-entries are allowed.
    bars = _minute_bars("2024-03-04 10:00", [22_000.0 + 40 * k for k in range(12)])
    leg = _spec(
        "ce", -1, "CE", expiry="current_week", stop=PremiumLevel(10.0, "percent"), reentries=2
    )
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0]}),
        {"ce": leg},
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    reasons = [L.EXIT_REASONS[int(r)] for r in run.records[:, L.T_REASON]]
    assert reasons[:3] == ["stop", "stop", "stop"] and len(run.records) == 3
    assert len({f["strike"] for f in run.facts}) > 1  # each re-entry resolves ATM again


# --- through the graph and run_backtest -----------------------------------------------------
def test_a_graph_leg_runs_through_run_backtest_and_never_trades_the_underlying() -> None:
    doc = example_documents()["ema_atm_put"]
    assert validate(doc) == []
    df = pd.DataFrame(
        {"close": 22_000 + 60 * np.sin(np.arange(750) / 40.0)},
        index=pd.date_range("2024-03-04 09:15", periods=750, freq="1min", tz=IST),
    )
    # two sessions: drop the night
    df = df[(df.index.time >= pd.Timestamp("09:15").time())]
    df["open"] = df["close"].shift(1).fillna(df["close"])
    df["high"] = df[["open", "close"]].max(axis=1) + 1
    df["low"] = df[["open", "close"]].min(axis=1) - 1
    bars = Bars.from_frame(df)
    graph = compile_graph(doc)
    with pytest.raises(LegError, match=r"SimConfig\.options"):
        run_backtest(bars, graph, SimConfig())
    legs = OptionsConfig(premium_source="model", iv=0.13, underlying="NIFTY")
    # 15% of 22,000 x 50 units = Rs 165,000 of margin: Rs 100,000 cannot sell the put.
    poor = run_backtest(bars, graph, SimConfig(fees="india_options", options=legs)).to_dict()
    assert poor["trades"] == [] and poor["rejection_counts"]["insufficient_margin"] == 3
    cfg = SimConfig(initial_cash=500_000, fees="india_options", options=legs)
    out = run_backtest(bars, graph, cfg).to_dict()
    assert out["premium_source"] == "model"
    assert out["trades"], "the EMA cross fires at least once on this series"
    for t in out["trades"]:
        assert t["option_type"] == "PE" and t["position"] == "sell"
        assert t["entry_price"] < 1_000  # a premium, not the index at 22,000
        assert t["strike"] % 50 == 0
    assert set(out["leg_stats"]) == {"sell_put"}


# --- property: P&L identity -----------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    steps=st.lists(st.floats(-60, 60), min_size=6, max_size=40),
    side=st.sampled_from([1, -1]),
    right=st.sampled_from(["CE", "PE"]),
    lots=st.integers(1, 4),
    stop=st.one_of(st.none(), st.floats(5, 60)),
)
def test_every_leg_pnl_is_premium_change_times_units_times_side_less_charges(
    steps: list[float], side: int, right: str, lots: int, stop: float | None
) -> None:
    closes = list(22_000.0 + np.cumsum(steps))
    bars = _minute_bars("2024-03-04 10:00", closes)
    n = len(bars)
    leg = _spec(
        "leg",
        side,
        right,
        lots=lots,
        expiry="current_week",
        stop=None if stop is None else PremiumLevel(stop, "percent"),
        reentries=1 if stop else 0,
    )
    run = _run(
        bars,
        _signals(n, {"leg": [0, n // 2]}, exits=[n // 3]),
        {"leg": leg},
        options=OptionsConfig(premium_source="model", iv=0.2, underlying="NIFTY"),
        fees="india_options",
    )
    for rec, fact in zip(run.records, run.facts, strict=True):
        charges = rec[L.T_ENTRY_FEES] + rec[L.T_EXIT_FEES]
        expected = (fact["premium_out"] - fact["premium_in"]) * fact["units"] * side - charges
        assert rec[L.T_PNL] == pytest.approx(expected, abs=1e-6)
        assert fact["units"] == lots * 50
    # the cash ledger agrees with the trades
    assert run.cash[-1] == pytest.approx(1e6 + run.records[:, L.T_PNL].sum(), abs=1e-6)


def test_chain_source_protocol_is_met_by_the_test_chain() -> None:
    bars, chain = _eod()
    assert isinstance(chain, OptionChainSource)
    assert len(bars) == 23  # January 2019's sessions
    (c,) = [
        c
        for c in chain.contracts("NIFTY", date(2019, 1, 2))
        if (c.strike, c.right, c.expiry) == (10_900.0, "CE", date(2019, 1, 31))
    ]
    assert c.lot_size == 75  # NIFTY's lot in January 2019
    assert chain.premiums(c, datetime(2019, 1, 2), datetime(2019, 1, 3), "1d")["open"].tolist() == [
        190.5,
        145.0,
    ]


# --- the leg spec's validation --------------------------------------------------------------
def _leg_doc(**params: object) -> dict:
    doc = example_documents()["ema_atm_put"]
    for n in doc["nodes"]:
        if n["id"] == "sell_put":
            n["params"].update(params)
    return doc


@pytest.mark.parametrize(
    ("params", "field", "text"),
    [
        ({"expiry": "fortnightly"}, "params.expiry", "current_week"),
        ({"strike": "premium_closest"}, "params.premium", "is required"),
        ({"strike": "delta_closest", "delta": 1.5}, "params.delta", "between"),
        ({"strike": "ITM", "offset": -2}, "params.offset", "between 0 and 100"),
        ({"strike": "ATM", "premium": 100}, "params.premium", "applies only"),
        ({"atm_from": "forward"}, "params.atm_from", "spot, futures"),
        ({"stop": {"value": 25, "unit": "pct"}}, "params.stop.unit", "points"),
        ({"reentries": 2}, "params.reentries", "stop, target or trailing"),
        ({"lots": 0}, "params.lots", "between 1"),
        ({"trail_after": {"value": 10, "unit": "points"}}, "params.trail_after", "set trailing"),
        ({"cost_after": {"value": 0}}, "params.cost_after.value", "above 0"),
    ],
)
def test_a_bad_leg_spec_names_the_field(params: dict, field: str, text: str) -> None:
    errors = validate(_leg_doc(**params))
    assert any(
        e["node"] == "sell_put" and e["field"] == field and text in e["message"] for e in errors
    ), errors


@pytest.mark.parametrize(
    "params",
    [
        {"expiry": "next_month", "strike": "OTM", "offset": 3},
        {"expiry": "2026-01-27", "strike": "premium_at_most", "premium": 80},
        {"strike": "straddle_pct", "percent": 30, "atm_from": "futures"},
        {
            "strike": "delta_closest",
            "delta": 0.2,
            "stop": {"value": 40, "unit": "percent"},
            "reentries": 2,
            "reentry": "next_signal",
        },
        {"expiry": "weekly"},  # the older spelling
    ],
)
def test_good_leg_specs_validate(params: dict) -> None:
    assert validate(_leg_doc(**params)) == []


# --- group rules on model premiums ----------------------------------------------------------
def _straddle(**extra: object) -> dict[str, LegSpec]:
    return {
        "ce": _spec("ce", -1, "CE", expiry="current_week", **extra),
        "pe": _spec("pe", -1, "PE", expiry="current_week", **extra),
    }


def test_a_group_is_entered_whole_or_refused_whole() -> None:
    bars = _minute_bars("2024-03-04 10:00", [22_000.0] * 5)
    # 15% of 22,000 x 50 = Rs 165,000 a short leg: Rs 200,000 affords one leg, not two.
    options = OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY")
    config = SimConfig(initial_cash=200_000, options=options)
    run = simulate_legs(
        bars,
        _signals(len(bars), {"ce": [0], "pe": [0]}),
        {k: (v, "entry_long") for k, v in _straddle().items()},
        config,
        RiskSettings(),
    )
    assert len(run.records) == 0
    assert run.reject_counts[L.REJ_MARGIN - 1] == 1 and len(run.rejections) == 2


def test_square_off_closes_every_leg_at_its_open_and_blocks_entries_after_it() -> None:
    bars = _minute_bars("2024-03-04 15:10", [22_000.0] * 10)  # 15:10 .. 15:19
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0, 6], "pe": [0, 6]}),
        _straddle(),
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
        risk=RiskSettings(square_off="15:15"),
    )
    assert [int(r[L.T_EXIT_BAR]) for r in run.records] == [5, 5]
    assert {L.EXIT_REASONS[int(r[L.T_REASON])] for r in run.records} == {"square_off"}
    assert run.reject_counts[L.REJ_WINDOW - 1] == 1  # the 15:16 signal


def test_the_daily_loss_guardrail_closes_the_group_and_blocks_the_day() -> None:
    # A short straddle loses as the index runs away; Rs 1,000 is the day's limit.
    closes = [22_000.0, 22_000.0, 22_150.0, 22_300.0, 22_450.0, 22_600.0, 22_600.0]
    bars = _minute_bars("2024-03-04 10:00", closes)
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0, 5], "pe": [0, 5]}),
        _straddle(),
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
        risk=RiskSettings(daily_max_loss=1_000.0),
    )
    assert len(run.records) == 2
    assert {L.EXIT_REASONS[int(r[L.T_REASON])] for r in run.records} == {"guardrail"}
    assert run.records[:, L.T_PNL].sum() <= -1_000.0
    assert run.reject_counts[L.REJ_DAY_LOSS - 1] == 1  # the later signal that day


def test_next_signal_reentry_waits_for_the_gate() -> None:
    bars = _minute_bars("2024-03-04 10:00", [22_000.0 + 40 * k for k in range(10)])
    ce = _spec(
        "ce",
        -1,
        "CE",
        expiry="current_week",
        stop=PremiumLevel(10.0, "percent"),
        reentries=1,
        reentry="next_signal",
    )
    pe = _spec("pe", -1, "PE", expiry="current_week")
    run = _run(
        bars,
        _signals(len(bars), {"ce": [0, 6], "pe": [0, 6]}),
        {"ce": ce, "pe": pe},
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )
    ce_entries = sorted(
        int(r[L.T_ENTRY_BAR])
        for r, f in zip(run.records, run.facts, strict=True)
        if f["leg"] == "ce"
    )
    assert ce_entries[0] == 1 and ce_entries[1] == 7  # back in after the gate's bar-6 firing
    assert len({f["group"] for f in run.facts}) == 1  # the same group: the put never left


def test_an_iv_series_is_carried_forward_to_each_bar() -> None:
    bars = _minute_bars("2024-03-04 10:00", [22_000.0] * 4)
    iv = pd.Series(
        [0.10, 0.30],
        index=pd.DatetimeIndex(["2024-03-04 09:15", "2024-03-04 10:02"]).tz_localize(IST),
    )
    options = OptionsConfig(premium_source="model", iv=iv, rate=0.0, underlying="NIFTY")
    assert options.iv_at(bars.ts).tolist() == [0.10, 0.10, 0.30, 0.30]
    run = _run(
        bars,
        _signals(4, {"ce": [0]}, exits=[1]),
        {"ce": _spec("ce", 1, "CE", expiry="current_week")},
        options=options,
    )
    fact = run.facts[0]
    t_in = (329 + 3 * 375) / YEAR_MINUTES
    t_out = (328 + 3 * 375) / YEAR_MINUTES  # the 10:02 open, under the 0.30 volatility
    assert fact["premium_in"] == pytest.approx(
        black76_one(22_000.0, 22_000.0, t_in, 0.10, 0.0, True)
    )
    assert fact["premium_out"] == pytest.approx(
        black76_one(22_000.0, 22_000.0, t_out, 0.30, 0.0, True)
    )
    with pytest.raises(LegError, match="as a fraction"):
        OptionsConfig(iv=iv * 100, underlying="NIFTY").iv_at(bars.ts)


def test_atm_from_futures_uses_the_forward_to_the_expiry() -> None:
    from engine.options.resolve import reference_price

    spec = _spec("ce", 1, "CE", atm_from="futures")
    t = 20 / 252
    assert reference_price(spec, 22_000.0, t, 0.065) == pytest.approx(22_000.0 * np.exp(0.065 * t))
    assert reference_price(_spec("ce", 1, "CE"), 22_000.0, t, 0.065) == 22_000.0
    # ATM from the forward to the April monthly (36 sessions away), not the 22,000 spot
    bars = _minute_bars("2024-03-04 10:00", [22_000.0] * 3)
    opts = OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY")
    legs = {"ce": _spec("ce", 1, "CE", expiry="next_month", atm_from="futures")}
    run = _run(bars, _signals(3, {"ce": [0]}), legs, options=opts)
    fwd = reference_price(
        legs["ce"],
        22_000.0,
        years_to_expiry(bars.ts[:1] + 60_000_000_000, date(2024, 4, 25))[0],
        0.065,
    )
    assert run.facts[0]["expiry"] == "2024-04-25"
    assert run.facts[0]["strike"] == round(fwd / 50) * 50 == 22_200.0


def test_a_real_leg_whose_expiry_is_not_stored_names_it() -> None:
    bars, chain = _eod()
    # NIFTY weeklies began in February 2019: the first weekly after 2019-01-02 is 02-14,
    # which the January file does not hold.
    with pytest.raises(LegError, match="no NIFTY CE contracts of expiry 2019-02-14 are stored"):
        _run(
            bars,
            _signals(len(bars), {"ce": [0]}),
            {"ce": _spec("ce", 1, "CE", expiry="current_week")},
            options=OptionsConfig(premium_source="real", chain=chain, underlying="NIFTY"),
            timeframe="1d",
        )


def _premium_path_run(leg: LegSpec, closes: list[float]):
    bars = _minute_bars("2024-03-04 10:00", closes)
    return _run(
        bars,
        _signals(len(bars), {leg.node: [0]}),
        {leg.node: leg},
        options=OptionsConfig(premium_source="model", iv=0.14, underlying="NIFTY"),
    )


def test_the_stop_moves_to_cost_after_a_move_in_favour() -> None:
    # A bought call: the index rallies (premium up more than 20 points), then falls back.
    closes = [22_000.0, 22_000.0, 22_100.0, 22_100.0, 21_950.0, 21_900.0, 21_900.0]
    plain = _premium_path_run(_spec("ce", 1, "CE", expiry="current_week"), closes)
    assert L.EXIT_REASONS[int(plain.records[0][L.T_REASON])] == "end"
    moved = _premium_path_run(
        _spec("ce", 1, "CE", expiry="current_week", cost_after=PremiumLevel(20.0)), closes
    )
    rec, fact = moved.records[0], moved.facts[0]
    # Armed by bar 2's rally; bar 4 opens (21,950) below cost: a gap fills at that open.
    assert L.EXIT_REASONS[int(rec[L.T_REASON])] == "stop" and rec[L.T_EXIT_BAR] == 4
    assert fact["premium_out"] < fact["premium_in"] < plain.facts[0]["premium_in"] + 1e-9
    armed_later = _premium_path_run(
        _spec("ce", 1, "CE", expiry="current_week", cost_after=PremiumLevel(500.0)), closes
    )
    assert L.EXIT_REASONS[int(armed_later.records[0][L.T_REASON])] == "end"


def test_a_trailing_stop_waits_for_its_activation() -> None:
    closes = [22_000.0, 22_000.0, 22_030.0, 22_000.0, 22_150.0, 22_100.0, 22_000.0]
    trail = PremiumLevel(10.0)
    early = _premium_path_run(_spec("ce", 1, "CE", expiry="current_week", trailing=trail), closes)
    late = _premium_path_run(
        _spec("ce", 1, "CE", expiry="current_week", trailing=trail, trail_after=PremiumLevel(50.0)),
        closes,
    )
    assert int(early.records[0][L.T_EXIT_BAR]) < int(late.records[0][L.T_EXIT_BAR])
    assert L.EXIT_REASONS[int(late.records[0][L.T_REASON])] == "trailing"
