"""Black-76 against an independent formula, trading-minute time to expiry, expiry and strike
resolution tables, lot size by date."""

from __future__ import annotations

import math
from datetime import date
from statistics import NormalDist

import numpy as np
import pandas as pd
import pytest

from engine.options.config import LegError
from engine.options.legs import LegSpec
from engine.options.pricing import YEAR_MINUTES, black76, black76_one, delta, years_to_expiry
from engine.options.resolve import (
    atm_index,
    model_contract,
    resolve_expiry,
    select_strike,
    strike_step_of,
)

N = NormalDist()


def _bs_spot(s: float, k: float, t: float, vol: float, r: float, call: bool) -> float:
    """Black-Scholes on the spot, no dividends: written independently of Black-76."""
    d1 = (math.log(s / k) + (r + vol * vol / 2) * t) / (vol * math.sqrt(t))
    d2 = d1 - vol * math.sqrt(t)
    if call:
        return s * N.cdf(d1) - k * math.exp(-r * t) * N.cdf(d2)
    return k * math.exp(-r * t) * N.cdf(-d2) - s * N.cdf(-d1)


@pytest.mark.parametrize(
    ("s", "k", "t", "vol", "r"),
    [
        (22_000.0, 22_000.0, 5 / 252, 0.14, 0.065),
        (22_000.0, 21_500.0, 1 / 252, 0.25, 0.07),
        (48_000.0, 49_000.0, 20 / 252, 0.18, 0.0),
        (10_900.0, 10_900.0, 375 / YEAR_MINUTES, 0.12, 0.065),
        (100.0, 150.0, 2.0, 0.6, 0.03),
    ],
)
def test_black76_on_the_forward_equals_black_scholes_on_the_spot(
    s: float, k: float, t: float, vol: float, r: float
) -> None:
    fwd = s * math.exp(r * t)
    for call in (True, False):
        assert black76_one(fwd, k, t, vol, r, call) == pytest.approx(
            _bs_spot(s, k, t, vol, r, call), abs=1e-9
        )
    # the array form prices from the spot
    got = black76(np.array([s]), k, np.array([t]), np.array([vol]), r, True)[0]
    assert got == pytest.approx(_bs_spot(s, k, t, vol, r, True), abs=1e-9)
    # put-call parity: C - P = e^-rT (F - K)
    c, p = black76_one(fwd, k, t, vol, r, True), black76_one(fwd, k, t, vol, r, False)
    assert c - p == pytest.approx(math.exp(-r * t) * (fwd - k), abs=1e-9)


def test_at_expiry_the_premium_is_intrinsic_and_delta_is_a_step() -> None:
    assert black76_one(22_100.0, 22_000.0, 0.0, 0.2, 0.065, True) == pytest.approx(100.0)
    assert black76_one(22_100.0, 22_000.0, 0.0, 0.2, 0.065, False) == 0.0
    assert delta(22_100.0, 22_000.0, 0.0, 0.2, 0.0, True) == 1.0
    d = delta(22_000.0, 22_000.0, 5 / 252, 0.14, 0.0, True)
    assert 0.5 < d < 0.52  # ATM call delta is a little above one half


def _ist_ns(text: str) -> int:
    return int(pd.Timestamp(text, tz="Asia/Kolkata").value)


def test_time_to_expiry_counts_trading_minutes_only() -> None:
    # Monday 2024-03-04 10:00 to Thursday 2024-03-07 15:30: 330 minutes today, then
    # 05, 06, 07 March (375 each).
    t = years_to_expiry(np.array([_ist_ns("2024-03-04 10:00")]), date(2024, 3, 7))[0]
    assert t * YEAR_MINUTES == pytest.approx(330 + 3 * 375)
    # Friday 2024-03-22 15:00 to Thursday 03-28 across the weekend and the Holi holiday (25th):
    # 30 minutes, then 26, 27, 28.
    t = years_to_expiry(np.array([_ist_ns("2024-03-22 15:00")]), date(2024, 3, 28))[0]
    assert t * YEAR_MINUTES == pytest.approx(30 + 3 * 375)
    at_close = years_to_expiry(np.array([_ist_ns("2024-03-28 15:30")]), date(2024, 3, 28))
    after = years_to_expiry(np.array([_ist_ns("2024-03-29 10:00")]), date(2024, 3, 28))
    assert at_close[0] == 0.0 and after[0] == 0.0


@pytest.mark.parametrize(
    ("on", "spec", "expected"),
    [
        # Thursday 2024-04-11 was a holiday: that week's expiry moved to Wednesday the 10th.
        (date(2024, 4, 8), "current_week", date(2024, 4, 10)),
        (date(2024, 4, 8), "next_week", date(2024, 4, 18)),
        (date(2024, 4, 8), "current_month", date(2024, 4, 25)),
        (date(2024, 4, 8), "next_month", date(2024, 5, 30)),
        # An expiry day trades its own contract.
        (date(2024, 4, 10), "current_week", date(2024, 4, 10)),
        # The 2025 change: Thursday expiries until August, Tuesday from September.
        (date(2025, 8, 26), "current_week", date(2025, 8, 28)),
        (date(2025, 8, 26), "next_week", date(2025, 9, 2)),
        (date(2025, 8, 29), "current_week", date(2025, 9, 2)),
        (date(2025, 8, 29), "current_month", date(2025, 9, 30)),
        (date(2025, 8, 26), "2025-09-09", date(2025, 9, 9)),
    ],
)
def test_expiry_resolution(on: date, spec: str, expected: date) -> None:
    assert resolve_expiry("NIFTY", spec, on) == expected


def test_expiry_resolution_refusals_say_why() -> None:
    with pytest.raises(LegError, match="has passed"):
        resolve_expiry("NIFTY", "2025-08-01", date(2025, 8, 26))
    with pytest.raises(LegError, match="no weekly expiry"):
        resolve_expiry("BANKNIFTY", "current_week", date(2025, 3, 3))


@pytest.mark.parametrize(
    ("on", "lot"),
    [
        (date(2024, 4, 8), 50),
        (date(2024, 12, 2), 75),
        (date(2025, 12, 20), 75),
        (date(2026, 1, 5), 65),
    ],
)
def test_a_model_contract_takes_the_lot_of_its_listing_date(on: date, lot: int) -> None:
    c = model_contract("NIFTY", date(2026, 1, 27), 25_000.0, "CE", on)
    assert c.lot_size == lot
    assert c.symbol == "NIFTY 27 JAN 2026 25000 CE"


STRIKES = np.arange(21_500.0, 22_501.0, 50.0)


def _leg(strike: str, offset: int = 0, value: float | None = None, right: str = "CE") -> LegSpec:
    return LegSpec(
        node="leg",
        side=-1,
        right=right,
        lots=1,
        underlying="NIFTY",
        expiry="current_week",  # type: ignore[arg-type]
        strike=strike,
        offset=offset,
        value=value,
    )


def _pick(spec: LegSpec, spot: float = 22_012.0, premiums: dict | None = None) -> float:
    table = premiums or {}
    return select_strike(
        spec,
        strikes=STRIKES,
        step=50.0,
        ref=spot,
        spot=spot,
        years=5 / 252,
        vol=0.14,
        rate=0.0,
        premium_of=lambda k, r: table.get((k, r)),
        search=30,
    )


@pytest.mark.parametrize(
    ("strike", "offset", "right", "expected"),
    [
        ("ATM", 0, "CE", 22_000.0),
        ("ATM", 2, "CE", 22_100.0),
        ("ATM", -1, "PE", 21_950.0),
        ("ITM", 1, "CE", 21_950.0),  # a lower strike is in the money for a call
        ("ITM", 1, "PE", 22_050.0),
        ("OTM", 2, "CE", 22_100.0),
        ("OTM", 2, "PE", 21_900.0),
    ],
)
def test_strike_by_steps_from_atm(strike: str, offset: int, right: str, expected: float) -> None:
    assert _pick(_leg(strike, offset, right=right)) == expected


def test_atm_rounds_to_the_step_and_takes_the_nearest_listed_strike() -> None:
    assert atm_index(STRIKES, 22_024.9, 50.0) == list(STRIKES).index(22_000.0)
    assert atm_index(STRIKES, 22_025.1, 50.0) == list(STRIKES).index(22_050.0)
    sparse = np.array([21_800.0, 22_000.0, 22_200.0])
    assert sparse[atm_index(sparse, 22_060.0, 50.0)] == 22_000.0  # 22,050 is not listed
    # the listed step near the money, though far strikes are 100 apart
    mixed = np.r_[np.arange(20_000.0, 21_500.0, 100.0), np.arange(21_500.0, 22_500.0, 50.0)]
    assert strike_step_of(mixed, 22_000.0, 100.0) == 50.0


def test_strike_by_premium_and_straddle_width() -> None:
    prem = {
        (k, "CE"): p for k, p in zip(STRIKES, np.linspace(400.0, 5.0, len(STRIKES)), strict=True)
    }
    prem.update(
        {(k, "PE"): p for k, p in zip(STRIKES, np.linspace(5.0, 400.0, len(STRIKES)), strict=True)}
    )
    ce = {k: p for (k, r), p in prem.items() if r == "CE"}
    closest = min(ce, key=lambda k: abs(ce[k] - 100.0))
    assert _pick(_leg("premium_closest", value=100.0), premiums=prem) == closest
    at_least = _pick(_leg("premium_at_least", value=100.0), premiums=prem)
    at_most = _pick(_leg("premium_at_most", value=100.0), premiums=prem)
    assert ce[at_least] >= 100.0 and ce[at_least + 50.0] < 100.0
    assert ce[at_most] <= 100.0 and ce[at_most - 50.0] > 100.0
    assert at_least == at_most - 50.0  # the nearest premiums either side of 100
    # 30% of the ATM (22,000) straddle
    target = 0.3 * (prem[(22_000.0, "CE")] + prem[(22_000.0, "PE")])
    want = min(ce, key=lambda k: abs(ce[k] - target))
    assert _pick(_leg("straddle_pct", value=30.0), premiums=prem) == want
    with pytest.raises(LegError, match="at least 1e"):
        _pick(_leg("premium_at_least", value=1e6), premiums=prem)


def test_strike_by_delta() -> None:
    k = _pick(_leg("delta_closest", value=0.25, right="PE"))
    d = {s: abs(delta(22_012.0, s, 5 / 252, 0.14, 0.0, False)) for s in STRIKES}
    assert k == min(d, key=lambda s: abs(d[s] - 0.25))
    assert k < 22_000.0  # a 25-delta put is out of the money


def test_a_strike_beyond_the_list_is_refused() -> None:
    with pytest.raises(LegError, match="no listed strike"):
        _pick(_leg("OTM", 40))
