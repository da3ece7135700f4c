"""Built-in fee models: generic ones and Indian charges (rates from INTEGRATIONS.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from engine.fees.base import NONE, BaseFees, FeeRates

Exchange = Literal["NSE", "BSE"]
EPOCH = date(1970, 1, 1)
STT_CHANGE = date(2026, 4, 1)  # Finance Act 2026: higher F&O STT for trades from this date
GST = 0.18
SEBI = 0.000001  # Rs 10 per crore


@dataclass(frozen=True, slots=True)
class ZeroFees(BaseFees):
    name: ClassVar[str] = "zero"

    def schedule(self) -> list[tuple[date, FeeRates]]:
        return [(EPOCH, FeeRates(brokerage_flat=0.0))]


@dataclass(frozen=True, slots=True)
class PercentFees(BaseFees):
    """``percent`` of turnover per order (0.1 means 0.1%)."""

    name: ClassVar[str] = "percent"
    percent: float = 0.0

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(percent=self.percent)
        return [(EPOCH, FeeRates(brokerage_pct=self.percent / 100.0))]


@dataclass(frozen=True, slots=True)
class FlatFees(BaseFees):
    """A flat amount per executed order."""

    name: ClassVar[str] = "flat"
    amount: float = 0.0

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(amount=self.amount)
        return [(EPOCH, FeeRates(brokerage_flat=self.amount))]


@dataclass(frozen=True, slots=True)
class MinFlatPercentFees(BaseFees):
    """min(``amount``, ``percent``% of turnover) per order, the discount-broker shape."""

    name: ClassVar[str] = "min_flat_percent"
    amount: float = 20.0
    percent: float = 0.03

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(amount=self.amount, percent=self.percent)
        return [(EPOCH, FeeRates(brokerage_flat=self.amount, brokerage_pct=self.percent / 100))]


@dataclass(frozen=True, slots=True)
class IndiaEquityIntradayFees(BaseFees):
    name: ClassVar[str] = "india_equity_intraday"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0  # Dhan: min(Rs 20, 0.03%) per executed order
    _rates: ClassVar[dict[str, tuple[float, float]]] = {
        "NSE": (0.0000297, 0.000001),
        "BSE": (0.0000375, 0.0),
    }

    def schedule(self) -> list[tuple[date, FeeRates]]:
        exch, ipft = _pick(self._rates, self.exchange)
        rates = FeeRates(
            brokerage_flat=self.brokerage, brokerage_pct=0.0003, stt_sell=0.00025,
            exchange=exch, sebi=SEBI, ipft=ipft, stamp_buy=0.00003, gst=GST,
            indian_rounding=True,
        )  # fmt: skip
        return [(EPOCH, rates)]


@dataclass(frozen=True, slots=True)
class IndiaIndexFuturesFees(BaseFees):
    name: ClassVar[str] = "india_futures"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0
    _rates: ClassVar[dict[str, tuple[float, float]]] = {
        "NSE": (0.0000173, 0.000001),
        "BSE": (0.0, 0.0),
    }

    def schedule(self) -> list[tuple[date, FeeRates]]:
        exch, ipft = _pick(self._rates, self.exchange)
        common = {"exchange": exch, "sebi": SEBI, "ipft": ipft, "stamp_buy": 0.00002}
        brok = {"brokerage_flat": self.brokerage, "brokerage_pct": 0.0003}
        return [
            (EPOCH, FeeRates(stt_sell=0.0002, gst=GST, indian_rounding=True, **common, **brok)),
            (STT_CHANGE, FeeRates(stt_sell=0.0005, gst=GST, indian_rounding=True, **common, **brok)),
        ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class IndiaIndexOptionsFees(BaseFees):
    """Charges on premium turnover (price is the premium)."""

    name: ClassVar[str] = "india_options"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0  # flat per executed order
    _rates: ClassVar[dict[str, tuple[float, float]]] = {
        "NSE": (0.0003503, 0.000005),
        "BSE": (0.000325, 0.0),
    }

    def schedule(self) -> list[tuple[date, FeeRates]]:
        exch, ipft = _pick(self._rates, self.exchange)
        common = {"exchange": exch, "sebi": SEBI, "ipft": ipft, "stamp_buy": 0.00003}
        brok = {"brokerage_flat": self.brokerage, "brokerage_pct": NONE}
        return [
            (EPOCH, FeeRates(stt_sell=0.001, gst=GST, indian_rounding=True, **common, **brok)),
            (STT_CHANGE, FeeRates(stt_sell=0.0015, gst=GST, indian_rounding=True, **common, **brok)),
        ]  # fmt: skip


BUILTIN: dict[str, type[BaseFees]] = {
    cls.name: cls
    for cls in (
        ZeroFees, PercentFees, FlatFees, MinFlatPercentFees,
        IndiaEquityIntradayFees, IndiaIndexFuturesFees, IndiaIndexOptionsFees,
    )
}  # fmt: skip


def _pick(rates: dict[str, tuple[float, float]], exchange: str) -> tuple[float, float]:
    if exchange not in rates:
        raise ValueError(f"exchange must be one of {sorted(rates)}, got {exchange!r}")
    return rates[exchange]


def _check_non_negative(**values: float) -> None:
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"fee parameter '{key}' must be >= 0, got {value}")
