"""Built-in fee models: generic ones and Indian charges (dated rates in ``india_rates``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar, Literal

from engine.fees import india_rates
from engine.fees.base import BaseFees, FeeRates

Exchange = Literal["NSE", "BSE"]
EPOCH = date(1970, 1, 1)


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
    """Intraday equity; every rate by trade date (:mod:`engine.fees.india_rates`)."""

    name: ClassVar[str] = "india_equity_intraday"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0  # Dhan: min(Rs 20, 0.03%) per executed order

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(brokerage=self.brokerage)
        return india_rates.schedule("equity_intraday", self.exchange, self.brokerage)


@dataclass(frozen=True, slots=True)
class IndiaIndexFuturesFees(BaseFees):
    """Index futures; every rate by trade date (:mod:`engine.fees.india_rates`)."""

    name: ClassVar[str] = "india_futures"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0  # min(Rs 20, 0.03%) per executed order

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(brokerage=self.brokerage)
        return india_rates.schedule("futures", self.exchange, self.brokerage)


@dataclass(frozen=True, slots=True)
class IndiaIndexOptionsFees(BaseFees):
    """Charges on premium turnover (price is the premium), by trade date."""

    name: ClassVar[str] = "india_options"
    exchange: Exchange = "NSE"
    brokerage: float = 20.0  # flat per executed order

    def schedule(self) -> list[tuple[date, FeeRates]]:
        _check_non_negative(brokerage=self.brokerage)
        return india_rates.schedule("options", self.exchange, self.brokerage)


BUILTIN: dict[str, type[BaseFees]] = {
    cls.name: cls
    for cls in (
        ZeroFees,
        PercentFees,
        FlatFees,
        MinFlatPercentFees,
        IndiaEquityIntradayFees,
        IndiaIndexFuturesFees,
        IndiaIndexOptionsFees,
    )
}


def _check_non_negative(**values: float) -> None:
    for key, value in values.items():
        if value < 0:
            raise ValueError(f"fee parameter '{key}' must be >= 0, got {value}")
