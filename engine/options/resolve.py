"""Resolve a leg to one contract at the bar it fires: expiry from the calendar, strike from
the contracts that exist (or the exchange's strike grid when premiums are modelled)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta

import numpy as np

from engine.markets import calendar
from engine.options.config import LegError
from engine.options.contracts import OptionContract
from engine.options.legs import LegSpec
from engine.options.pricing import delta, forward

PremiumOf = Callable[[float, str], float | None]  # (strike, right) -> premium at the bar


def resolve_expiry(underlying: str, spec: str, on: date) -> date:
    """The expiry a leg means on trade date ``on`` (holiday-adjusted by the calendar).

    ``current_week`` is the first weekly expiry on or after ``on`` (an expiry day trades its
    own contract), ``next_week`` the one after it; ``current_month``/``next_month`` likewise
    for the monthly series. A date must be an expiry on or after ``on``.
    """
    try:
        if spec == "current_week":
            return calendar.next_expiry(underlying, on, "weekly")
        if spec == "next_week":
            first = calendar.next_expiry(underlying, on, "weekly")
            return calendar.next_expiry(underlying, first + timedelta(days=1), "weekly")
        if spec == "current_month":
            return calendar.next_expiry(underlying, on, "monthly")
        if spec == "next_month":
            first = calendar.next_expiry(underlying, on, "monthly")
            return calendar.next_expiry(underlying, first + timedelta(days=1), "monthly")
    except ValueError as exc:
        raise LegError(str(exc)) from exc
    fixed = date.fromisoformat(spec)
    if fixed < on:
        raise LegError(f"expiry {fixed.isoformat()} has passed on {on.isoformat()}")
    return fixed


def strike_step_of(strikes: np.ndarray, ref: float, fallback: float) -> float:
    """The listed strike interval near ``ref``: the smallest gap among the 11 nearest strikes
    (NIFTY lists 50 apart near the money and 100 apart far from it)."""
    if len(strikes) < 2:
        return fallback
    near = np.sort(strikes[np.argsort(np.abs(strikes - ref))[:11]])
    gaps = np.diff(near)
    gaps = gaps[gaps > 0]
    return float(gaps.min()) if len(gaps) else fallback


def atm_index(strikes: np.ndarray, ref: float, step: float) -> int:
    """Index of the at-the-money strike: ``round(ref / step) x step``, then the nearest
    listed strike to it (the lower one on a tie)."""
    target = round(ref / step) * step
    return int(np.argmin(np.abs(strikes - target) + strikes * 1e-12))


def select_strike(
    spec: LegSpec,
    *,
    strikes: np.ndarray,
    step: float,
    ref: float,
    spot: float,
    years: float,
    vol: float,
    rate: float,
    premium_of: PremiumOf,
    search: int,
) -> float:
    """The strike ``spec`` selects among ascending ``strikes``; LegError when none fits."""
    atm = atm_index(strikes, ref, step)
    mode, n = spec.strike, spec.offset
    if mode in ("ATM", "ITM", "OTM"):
        up = spec.right == "CE"  # a higher strike is out of the money for a call
        shift = {"ATM": n, "ITM": -n if up else n, "OTM": n if up else -n}[mode]
        k = atm + shift
        if not 0 <= k < len(strikes):
            raise LegError(
                f"no listed strike {shift:+d} from ATM {strikes[atm]:g} "
                f"(listed {strikes[0]:g}..{strikes[-1]:g})"
            )
        return float(strikes[k])
    lo, hi = max(0, atm - search), min(len(strikes), atm + search + 1)
    candidates = strikes[lo:hi]
    if mode == "delta_closest":
        call = spec.right == "CE"
        deltas = np.array([abs(delta(spot, float(k), years, vol, rate, call)) for k in candidates])
        return float(candidates[int(np.argmin(np.abs(deltas - float(spec.value or 0))))])
    priced = [(float(k), premium_of(float(k), spec.right)) for k in candidates]
    known = [(k, p) for k, p in priced if p is not None and np.isfinite(p)]
    target = float(spec.value or 0.0)
    if mode == "straddle_pct":
        atm_k = float(strikes[atm])
        ce, pe = premium_of(atm_k, "CE"), premium_of(atm_k, "PE")
        if ce is None or pe is None:
            raise LegError(f"the ATM {atm_k:g} straddle has no premium on this bar")
        target = (ce + pe) * target / 100.0
        mode = "premium_closest"
    if mode == "premium_at_least":
        known = [(k, p) for k, p in known if p >= target]
        pick = min(known, key=lambda kp: (kp[1], kp[0])) if known else None
    elif mode == "premium_at_most":
        known = [(k, p) for k, p in known if p <= target]
        pick = max(known, key=lambda kp: (kp[1], -kp[0])) if known else None
    else:
        pick = min(known, key=lambda kp: (abs(kp[1] - target), kp[0])) if known else None
    if pick is None:
        raise LegError(
            f"no {spec.right} strike within {search} strikes of ATM has a premium "
            f"{spec.strike.removeprefix('premium_').replace('_', ' ')} {target:g}"
        )
    return pick[0]


def reference_price(spec: LegSpec, spot: float, years: float, rate: float) -> float:
    """What ATM is measured from: the spot, or the forward to the leg's expiry
    (``atm_from: futures``; the cost-of-carry forward S·e^(rT), not a traded future)."""
    return forward(spot, years, rate) if spec.atm_from == "futures" else spot


def listed(
    contracts: Sequence[OptionContract], expiry: date, right: str
) -> dict[float, OptionContract]:
    """strike -> contract of one expiry and right."""
    return {c.strike: c for c in contracts if c.expiry == expiry and c.right == right}


def model_contract(
    underlying: str, expiry: date, strike: float, right: str, on: date
) -> OptionContract:
    """A contract the chain does not list, priced by the model: its lot is the calendar's for
    series listed on ``on``."""
    return OptionContract(
        symbol=f"{underlying} {expiry:%d %b %Y} {strike:g} {right}".upper(),
        underlying=underlying,
        expiry=expiry,
        strike=float(strike),
        right=right,  # type: ignore[arg-type]
        lot_size=calendar.lot_size(underlying, on),
        exchange=calendar.exchange_of(underlying),
    )


def model_strikes(ref: float, step: float, search: int) -> np.ndarray:
    """The exchange's strike grid around ``ref`` (a model run has no contract list)."""
    centre = round(ref / step) * step
    return centre + step * np.arange(-(search + 100), search + 101, dtype=np.float64)
