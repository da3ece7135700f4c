"""A manual order on an option leg spec: the engine's leg, resolved now to a listed contract.

``POST /api/trades/execute`` takes ``option_leg`` instead of ``instrument``: the same spec an
``option_leg`` node takes (docs/strategy-language.md, "Option legs"), checked by the graph's own
``check_option_leg`` and resolved by ``engine.options.resolve`` (expiry from the calendar,
strike among the contracts that exist), so a ticket and a backtest pick the same contract.

At the time of the request: the spot is the underlying's latest stored one-minute close of
today (no older than the paper broker's ``quote_max_age_seconds``), the chain is
``marketdata.options.stored_chain`` and premiums, for premium-based strikes, are the contracts'
latest stored one-minute closes under the same age rule. Anything missing is a 400 naming the
``option_leg`` field it concerns; the order then goes through ``order_execute`` (same
idempotency, gate, audit) on the resolved contract's ``Instrument`` row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from algobacktester.errors import Conflict, InvalidInput
from engine.graph.params import Ctx, check_option_leg
from engine.markets import calendar
from engine.markets.calendar import IST
from engine.options.config import DEFAULT_RATE, LegError
from engine.options.contracts import OptionContract
from engine.options.legs import LegSpec, leg_spec
from engine.options.premiums import decision_years
from engine.options.resolve import (
    listed,
    reference_price,
    resolve_expiry,
    select_strike,
    strike_step_of,
)
from marketdata import selectors as md
from marketdata.models import Instrument
from marketdata.options import option_contract_list, stored_chain

from ..brokers.paper import Quote, quote_from_candles, stale_reason
from ..models import Order, OrderAudit
from .audit import audit
from .orders import order_execute

FIELD = "option_leg"
# What one order takes of an option_leg node. The leg's own management (stop, target,
# trailing, re-entries) belongs to a strategy run, and its size to the request's ``lots``:
# they are refused, not silently dropped.
ORDER_KEYS = (
    "underlying",
    "option_type",
    "position",
    "expiry",
    "strike",
    "offset",
    "premium",
    "percent",
    "atm_from",
)
PREMIUMS_ARE = "premiums are the contracts' stored one-minute closes of today, when fresh"
STRIKES_SEARCHED = 30  # strikes each side of ATM a premium search reads (the engine's default)


@dataclass(frozen=True, slots=True)
class ResolvedLeg:
    instrument: Instrument
    contract: OptionContract
    spot: float
    spot_at: datetime
    params: dict[str, Any]

    def facts(self) -> dict[str, Any]:
        """What the audit row and the response say of the resolution."""
        c = self.contract
        return {
            "spec": self.params,
            "underlying": c.underlying,
            "spot": self.spot,
            "spot_at": self.spot_at.isoformat(),
            "expiry": c.expiry.isoformat(),
            "strike": c.strike,
            "option_type": c.right,
            "symbol": c.symbol,
            "instrument": self.instrument.pk,
        }


def _fail(key: str, message: str) -> InvalidInput:
    return InvalidInput({FIELD: {key: [message]}})


def leg_parse(raw: Any, *, side: str) -> tuple[LegSpec, dict[str, Any]]:
    """The validated spec and its normalised params; a 400 naming ``option_leg.<key>``."""
    if not isinstance(raw, dict):
        raise InvalidInput({FIELD: ["must be an object: an option_leg node's params"]})
    errors: dict[str, list[str]] = {}
    for key in sorted(set(raw) - set(ORDER_KEYS)):
        why = {
            "lots": "size the order with the request's lots",
            "delta": "goes with strike delta_closest, which a manual order cannot use",
        }.get(key, "is not taken by a manual order (it manages a strategy's leg)")
        errors[key] = [why]
    if raw.get("underlying") in (None, ""):
        errors["underlying"] = ["is required: a manual order has no run instrument"]
    position = side.lower()
    if raw.get("position", position) != position:
        errors["position"] = [f"conflicts with side {side}: send one, or the same"]
    if raw.get("strike") == "delta_closest":
        errors["strike"] = [
            "delta_closest needs an implied volatility a manual order does not have; "
            "use ATM, ITM, OTM or a premium-based strike"
        ]
    if errors:
        raise InvalidInput({FIELD: errors})
    found: list[Any] = []
    c = Ctx(FIELD, {**raw, "position": position}, found)
    check_option_leg(c)
    params = c.finish()
    if found:
        for e in found:
            key = str(e["field"]).removeprefix("params.")
            errors.setdefault(key, []).append(str(e["message"]))
        raise InvalidInput({FIELD: errors})
    # The node's defaults of what an order does not take (refused above when sent).
    params = {k: v for k, v in params.items() if k in ORDER_KEYS and v is not None}
    return leg_spec(FIELD, params), params


def _max_age() -> float:
    return float(settings.TRADES["PAPER"]["quote_max_age_seconds"])


def _spot(underlying: str, at: datetime) -> Quote:
    try:
        row = md.instrument_by_ref(ref=underlying)
    except InvalidInput as exc:
        raise _fail("underlying", f"{underlying}: {exc}") from exc
    quote = quote_from_candles(row.pk, at=at)
    reason = stale_reason(quote, at=at, max_age=_max_age())
    if reason or quote is None:
        raise _fail(
            "underlying",
            f"no recent quote of {underlying} (the spot is its latest stored one-minute close "
            f"of today): {reason}",
        )
    return quote


def _premium_of(chain: Any, book: dict[str, dict[float, OptionContract]], at: datetime) -> Any:
    """A contract's latest stored one-minute close of today, if fresh; else None."""
    day = at.astimezone(IST).replace(hour=0, minute=0, second=0, microsecond=0)
    max_age = _max_age()

    def premium_of(strike: float, right: str) -> float | None:
        contract = book.get(right, {}).get(strike)
        frame = None if contract is None else chain.premiums(contract, day, at, "1m")
        if frame is None:
            return None
        closes = frame.index.to_pydatetime() + timedelta(minutes=1)
        done = [i for i, t in enumerate(closes) if t <= at]  # bars closed by now
        if not done or (at - closes[done[-1]]).total_seconds() > max_age:
            return None
        value = float(frame["close"].iloc[done[-1]])
        return value if math.isfinite(value) else None

    return premium_of


def leg_resolve(spec: LegSpec, params: dict[str, Any], *, at: datetime) -> ResolvedLeg:
    """The listed contract ``spec`` means at ``at``: a 400 naming what is missing."""
    underlying = str(spec.underlying)
    on: date = at.astimezone(IST).date()
    try:
        expiry = resolve_expiry(underlying, spec.expiry, on)
    except (LegError, ValueError) as exc:
        raise _fail("expiry", str(exc)) from exc
    quote = _spot(underlying, at)
    chain = stored_chain(underlying)
    contracts = chain.contracts(underlying, on)
    book = {r: listed(contracts, expiry, r) for r in ("CE", "PE")}
    if not book[spec.right]:
        raise _fail(
            "expiry",
            f"no {underlying} {spec.right} contracts of expiry {expiry} are stored "
            "(load the instrument list)",
        )
    strikes = np.array(sorted(book[spec.right]), dtype=np.float64)
    at_ns = int(at.timestamp() * 10**9)
    years = decision_years(at_ns, 0, expiry)
    ref = reference_price(spec, quote.last, years, DEFAULT_RATE)
    step = strike_step_of(strikes, ref, float(calendar.strike_step(underlying)))
    try:
        strike = select_strike(
            spec,
            strikes=strikes,
            step=step,
            ref=ref,
            spot=quote.last,
            years=years,
            vol=math.nan,  # delta_closest is refused by leg_parse
            rate=DEFAULT_RATE,
            premium_of=_premium_of(chain, book, at),
            search=STRIKES_SEARCHED,
        )
    except LegError as exc:
        why = "" if spec.strike in ("ATM", "ITM", "OTM") else f" ({PREMIUMS_ARE})"
        raise _fail("strike", f"{exc}{why}") from exc
    contract = book[spec.right][strike]
    row = (
        option_contract_list(
            underlying=underlying, expiry=expiry, right=spec.right, strike_min=strike
        )
        .filter(strike=strike, exchange=contract.exchange)
        .first()
    )
    if row is None:  # the chain read it from this table a moment ago: deleted meanwhile
        raise _fail("strike", f"{contract.symbol} is no longer stored")
    return ResolvedLeg(row, contract, quote.last, quote.ts, params)


def order_execute_leg(
    *,
    user: Any,
    leg: Any,
    side: str,
    idempotency_key: str = "",
    actor: str = "",
    **order: Any,
) -> tuple[Order, bool, dict[str, Any]]:
    """``order_execute`` on the contract ``leg`` resolves to now: the order, whether it is
    new, and the resolution's facts. A repeated idempotency key returns the first order
    (resolved when it was placed) if the leg spec is the same, else a 409."""
    spec, params = leg_parse(leg, side=side)
    if idempotency_key:
        existing = Order.objects.filter(owner=user, idempotency_key=idempotency_key).first()
        if existing is not None:
            facts = _first_resolution(existing, params)
            replayed, _ = order_execute(
                user=user,
                instrument_ref=existing.instrument_id,
                side=side,
                idempotency_key=idempotency_key,
                actor=actor,
                **order,
            )
            return replayed, False, facts
    resolved = leg_resolve(spec, params, at=timezone.now())
    placed, created = order_execute(
        user=user,
        instrument_ref=resolved.instrument.pk,
        side=side,
        idempotency_key=idempotency_key,
        actor=actor,
        **order,
    )
    if not created:  # a concurrent request with the same key won the race
        return placed, False, _first_resolution(placed, params)
    facts = resolved.facts()
    audit(placed, "leg_resolved", actor=actor or f"user:{user.pk}", data=facts)
    return placed, True, facts


def _first_resolution(order: Order, params: dict[str, Any]) -> dict[str, Any]:
    row = OrderAudit.objects.filter(order=order, action="leg_resolved").order_by("id").first()
    if row is None or row.data.get("spec") != params:
        raise Conflict(
            {"Idempotency-Key": ["was already used for a different order; use a new key"]},
            code="idempotency_key_reused",
        )
    return dict(row.data)
