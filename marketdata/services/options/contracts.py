"""Option and future contracts as ``Instrument`` rows, whichever source names them.

A source (the Dhan master, an NSE file, a chain snapshot, Dhan's rolling data) names a
contract by its key; :func:`option_contracts_ensure` finds or creates the row under our
symbol (``marketdata.symbols``). A row that exists keeps its facts (the master's security id,
lot and tick size win over what a file implies); only ``listed_on`` moves earlier when a
source saw the contract trade before the day we knew.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q

from engine.markets import calendar

from ...models import Instrument
from ...symbols import future_symbol, option_symbol, strike_text

LOOKUP_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class ContractKey:
    kind: str  # "option" or "future"
    underlying: str
    expiry: date
    strike: float | None = None  # options only
    right: str = ""  # "CE"/"PE"; options only

    @property
    def symbol(self) -> str:
        if self.kind == "future":
            return future_symbol(self.underlying, self.expiry)
        return option_symbol(self.underlying, self.expiry, self.strike, self.right)


@dataclass(frozen=True, slots=True)
class ContractFacts:
    """What a source knows of a contract: its lot (0 when it does not say) and the first
    day it saw it trade."""

    lot_size: int
    first_seen: date


def _strike_step(underlying: str) -> int | None:
    try:
        return calendar.strike_step(underlying)
    except (ValueError, KeyError):
        return None


def _new_row(key: ContractKey, facts: ContractFacts, exchange: str) -> Instrument:
    lot = facts.lot_size
    if lot <= 0:  # the source does not say: the lot of series listed that day
        try:
            lot = calendar.lot_size(key.underlying, facts.first_seen)
        except (ValueError, KeyError):
            lot = 1
    is_option = key.kind == "option"
    strike = Decimal(strike_text(key.strike)).quantize(Decimal("0.01")) if is_option else None
    name = f"{key.underlying} {key.expiry:%d %b %Y}"
    name += f" {strike_text(key.strike)} {key.right}" if is_option else " FUT"
    return Instrument(
        exchange=exchange,
        segment=f"{exchange}_FNO",
        symbol=key.symbol,
        name=name,
        kind=key.kind,
        underlying=key.underlying,
        expiry=key.expiry,
        strike=strike,
        option_type=key.right if is_option else "",
        lot_size=lot,
        tick_size=Decimal("0.05") if is_option else Decimal("0.10"),
        strike_step=_strike_step(key.underlying) if is_option else None,
        listed_on=facts.first_seen,
        is_active=key.expiry >= datetime.now(calendar.IST).date(),
    )


def _chunks(items: list, size: int = LOOKUP_CHUNK) -> Iterable[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _existing(exchange: str, symbols: list[str]) -> dict[str, tuple[int, date | None]]:
    found: dict[str, tuple[int, date | None]] = {}
    for part in _chunks(symbols):
        rows = Instrument.objects.filter(
            exchange=exchange, segment=f"{exchange}_FNO", symbol__in=part
        ).values_list("symbol", "pk", "listed_on")
        found.update({s: (pk, listed) for s, pk, listed in rows})
    return found


def option_contracts_ensure(
    contracts: dict[ContractKey, ContractFacts], *, exchange: str = "NSE"
) -> tuple[dict[ContractKey, int], int]:
    """Instrument ids of ``contracts`` (created when missing) and how many were created."""
    by_symbol = {key.symbol: key for key in contracts}
    existing = _existing(exchange, list(by_symbol))
    missing = [
        _new_row(key, contracts[key], exchange)
        for symbol, key in by_symbol.items()
        if symbol not in existing
    ]
    # Another import may create the same rows meanwhile: the conflict is theirs, the row ours.
    Instrument.objects.bulk_create(missing, batch_size=1000, ignore_conflicts=True)
    if missing:
        existing.update(_existing(exchange, [row.symbol for row in missing]))
    earlier: dict[date, list[int]] = {}
    for symbol, (pk, listed) in existing.items():
        seen = contracts[by_symbol[symbol]].first_seen
        if listed is None or listed > seen:
            earlier.setdefault(seen, []).append(pk)
    for seen, pks in earlier.items():
        for part in _chunks(pks):
            Instrument.objects.filter(pk__in=part).filter(
                Q(listed_on__isnull=True) | Q(listed_on__gt=seen)
            ).update(listed_on=seen)
    unresolved = [s for s in by_symbol if s not in existing]
    if unresolved:  # a row with our key under another symbol (renamed by hand?)
        raise ValueError(f"contracts not stored under our symbols: {', '.join(unresolved[:5])}")
    return {by_symbol[s]: pk for s, (pk, _) in existing.items()}, len(missing)
