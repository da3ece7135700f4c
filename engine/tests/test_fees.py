"""Fee models against hand-computed contract notes (arithmetic in the comments)."""

from __future__ import annotations

import sys
import textwrap
from datetime import date
from pathlib import Path

import pytest

from engine.fees import (
    BaseFees,
    FlatFees,
    IndiaEquityIntradayFees,
    IndiaIndexFuturesFees,
    IndiaIndexOptionsFees,
    MinFlatPercentFees,
    PercentFees,
    ZeroFees,
    get_fee_model,
)
from engine.sim import SimConfig, Sizing, simulate
from engine.tests.test_sim_kit import minute_bars, signals

D = date(2025, 6, 2)
BEFORE, AFTER = date(2026, 3, 31), date(2026, 4, 1)


def breakdown(model: BaseFees, price: float, qty: float, side: str, on: date) -> dict[str, float]:
    return model.charges(price=price, qty=qty, side=side, on=on).to_dict()  # type: ignore[arg-type]


def test_zero() -> None:
    assert breakdown(ZeroFees(), 100, 10, "buy", D)["total"] == 0


def test_percent_of_turnover() -> None:
    # 250 x 40 = 10,000 turnover x 0.1% = 10
    assert breakdown(PercentFees(percent=0.1), 250, 40, "sell", D)["total"] == pytest.approx(10)


def test_flat_per_order() -> None:
    assert breakdown(FlatFees(amount=20), 1, 1, "buy", D)["total"] == 20
    assert breakdown(FlatFees(amount=20), 5000, 100, "sell", D)["total"] == 20


def test_min_flat_percent() -> None:
    model = MinFlatPercentFees(amount=20, percent=0.03)
    assert breakdown(model, 100, 100, "buy", D)["total"] == pytest.approx(3.0)  # 10,000 x 0.03%
    assert breakdown(model, 1000, 100, "buy", D)["total"] == 20  # min(20, 30)


def test_india_equity_intraday_nse_buy() -> None:
    # 100 x 1234 = 123,400. brokerage min(20, 37.02) = 20; exchange 0.00297% = 3.66498 -> 3.66;
    # SEBI 0.0001% = 0.1234 -> 0.12; IPFT 0.12; stamp 0.003% = 3.702 -> Rs 4 (rupee);
    # GST 18% x (20 + 3.66 + 0.12 + 0.12 = 23.90) = 4.302 -> 4.30. Total 32.20.
    got = breakdown(IndiaEquityIntradayFees(), 1234, 100, "buy", D)
    assert got == {
        "brokerage": 20,
        "stt": 0,
        "exchange": 3.66,
        "sebi": 0.12,
        "ipft": 0.12,
        "stamp_duty": 4,
        "gst": 4.30,
        "total": 32.20,
    }


def test_india_equity_intraday_nse_and_bse_sell() -> None:
    # STT 0.025% x 123,400 = 30.85 -> Rs 31; no stamp on the sell side. 20+31+3.66+.12+.12+4.30
    assert breakdown(IndiaEquityIntradayFees(), 1234, 100, "sell", D)["total"] == 59.20
    # BSE: exchange 0.00375% = 4.6275 -> 4.63, no IPFT; GST 18% x 24.75 = 4.455 -> 4.46 (half up)
    got = breakdown(IndiaEquityIntradayFees(exchange="BSE"), 1234, 100, "sell", D)
    assert (got["exchange"], got["ipft"], got["gst"], got["total"]) == (4.63, 0, 4.46, 60.21)


def test_india_futures_stt_is_date_versioned() -> None:
    # NIFTY 75 x 24,000 = 1,800,000. brokerage min(20, 540) = 20; exchange 0.00173% = 31.14;
    # SEBI 1.80; IPFT 1.80; GST 18% x 54.74 = 9.8532 -> 9.85.
    # Sell to 2026-03-31: STT 0.02% = 360 -> total 424.59; from 2026-04-01: 0.05% = 900 -> 964.59.
    model = IndiaIndexFuturesFees()
    assert breakdown(model, 24_000, 75, "sell", BEFORE)["total"] == 424.59
    assert breakdown(model, 24_000, 75, "sell", AFTER)["total"] == 964.59
    # Buy: no STT; stamp 0.002% = 36. 20 + 31.14 + 1.8 + 1.8 + 36 + 9.85 = 100.59
    assert breakdown(model, 24_000, 75, "buy", AFTER)["total"] == 100.59
    # BSE: no exchange charge or IPFT; GST 18% x 21.80 = 3.924 -> 3.92. 20+360+1.8+3.92
    assert (
        breakdown(IndiaIndexFuturesFees(exchange="BSE"), 24_000, 75, "sell", BEFORE)["total"]
        == 385.72
    )


def test_india_options_on_premium() -> None:
    # 75 x 120.50 premium = 9,037.50. brokerage 20 flat; exchange 0.03503% = 3.1658 -> 3.17;
    # SEBI 0.009 -> 0.01; IPFT 0.0005% = 0.0452 -> 0.05; GST 18% x 23.23 = 4.1814 -> 4.18.
    model = IndiaIndexOptionsFees()
    # sell, STT 0.1% = 9.0375 -> 9: 20 + 9 + 3.17 + 0.01 + 0.05 + 4.18 = 36.41
    assert breakdown(model, 120.5, 75, "sell", BEFORE)["total"] == 36.41
    # from 2026-04-01 STT 0.15% = 13.556 -> 14: 41.41
    assert breakdown(model, 120.5, 75, "sell", AFTER)["stt"] == 14
    assert breakdown(model, 120.5, 75, "sell", AFTER)["total"] == 41.41
    # buy: stamp 0.003% = 0.27 -> Rs 0; no STT: 27.41
    assert breakdown(model, 120.5, 75, "buy", AFTER)["total"] == 27.41


def test_india_options_bse() -> None:
    # SENSEX 20 x 300 = 6,000: STT 0.15% = 9; exchange 0.0325% = 1.95; SEBI 0.006 -> 0.01;
    # GST 18% x 21.96 = 3.9528 -> 3.95. 20 + 9 + 1.95 + 0.01 + 3.95 = 34.91
    assert (
        breakdown(IndiaIndexOptionsFees(exchange="BSE"), 300, 20, "sell", AFTER)["total"] == 34.91
    )


def test_registry_builtins_and_errors() -> None:
    assert isinstance(get_fee_model("india_options", exchange="BSE"), IndiaIndexOptionsFees)
    assert get_fee_model("percent", percent=0.1).percent == 0.1  # type: ignore[attr-defined]
    with pytest.raises(ValueError, match="unknown fee model"):
        get_fee_model("nope")
    with pytest.raises(ValueError, match="bad parameters"):
        get_fee_model("flat", amont=3)
    with pytest.raises(ValueError, match="exchange must be"):
        get_fee_model("india_futures", exchange="MCX").table()


def test_custom_module_overrides_builtin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkg = tmp_path / "myfees"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "flat.py").write_text(
        textwrap.dedent("""
        from dataclasses import dataclass
        from datetime import date
        from engine.fees import BaseFees, FeeRates

        @dataclass(frozen=True)
        class FeeModel(BaseFees):
            name = "flat"
            amount: float = 7.0

            def schedule(self):
                return [(date(1970, 1, 1), FeeRates(brokerage_flat=self.amount * 2))]
    """)
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    model = get_fee_model("flat", "myfees", amount=5)
    assert breakdown(model, 100, 1, "buy", D)["total"] == 10
    assert type(get_fee_model("zero", "myfees")) is ZeroFees
    sys.modules.pop("myfees.flat", None)


def test_simulated_trade_charges_match_the_model() -> None:
    model = IndiaIndexFuturesFees()
    bars = minute_bars([24_000, 24_000, 24_100, 24_100], start="2026-03-31 10:00")
    cfg = SimConfig(
        fees=model,
        sizing=Sizing(mode="lots", value=1, lot_size=75),
        margin=0.15,
        initial_cash=500_000,
    )
    trade = simulate(bars, signals(4, entry_long=[0], exit_long=[1]), cfg).trades.to_frame().iloc[0]
    buy = breakdown(model, 24_000, 75, "buy", BEFORE)
    sell = breakdown(model, 24_100, 75, "sell", BEFORE)
    assert trade["charges"] == pytest.approx(buy["total"] + sell["total"])
    assert trade["charges_stt"] == sell["stt"]
    assert trade["pnl"] == pytest.approx(75 * 100 - buy["total"] - sell["total"])


def test_params_cannot_choose_the_plugin_package() -> None:
    with pytest.raises(ValueError, match="bad parameters"):
        get_fee_model("zero", **{"custom_package": "engine.fees"})
