"""The provider interface: every source of bars and instruments implements this.

A provider is a plain class (no models): it takes and returns dataclasses and numpy frames, so it
can be tested against a fake server without a database. Capabilities say what it can do:
``history`` (``chunks`` + ``fetch``), ``instruments`` (``instruments``), ``file`` (``read``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

from ..frames import BarFrame


class ProviderError(Exception):
    """A provider failed; ``retryable`` says whether trying again could help."""

    def __init__(self, message: str, *, retryable: bool = False, code: str = "") -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code


class FileFormatError(ValueError):
    """A file cannot be imported as given; ``errors`` maps a field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True, slots=True, kw_only=True)
class InstrumentRef:
    """What a provider needs to know about an instrument to fetch its bars."""

    symbol: str
    exchange: str = "NSE"
    segment: str = "IDX_I"
    security_id: str = ""
    kind: str = "index"
    underlying: str = ""
    expiry: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class InstrumentSpec:
    """One row of a provider's instrument master, ready to upsert."""

    exchange: str
    segment: str
    symbol: str
    security_id: str
    kind: str
    name: str = ""
    underlying: str = ""
    expiry: date | None = None
    strike: Decimal | None = None
    option_type: str = ""
    lot_size: int = 1
    tick_size: Decimal = Decimal("0.05")
    strike_step: int | None = None


class Provider:
    name: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[str]] = frozenset()
    timeframes: ClassVar[tuple[str, ...]] = ()
    chunk_days: ClassVar[int] = 90

    def chunks(self, *, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """[start, end) cut into provider-sized pieces, ascending."""
        out = []
        step = timedelta(days=self.chunk_days)
        a = start
        while a < end:
            b = min(a + step, end)
            out.append((a, b))
            a = b
        return out

    def fetch(
        self, *, instrument: InstrumentRef, timeframe: str, start: datetime, end: datetime
    ) -> BarFrame:
        raise ProviderError(f"provider '{self.name}' cannot fetch history")

    def instruments(self, *, underlyings: tuple[str, ...] = ()) -> list[InstrumentSpec]:
        raise ProviderError(f"provider '{self.name}' has no instrument master")

    def read(self) -> Iterator[BarFrame]:
        raise ProviderError(f"provider '{self.name}' does not read files")
