"""A backtest's run configuration: validated from the API, stored on the run as JSON, turned
into the engine's ``SimConfig`` by the worker. Stored JSON keeps re-runs identical."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from rest_framework import serializers

from engine.fees import get_fee_model
from engine.fees.models import BUILTIN as BUILTIN_FEES
from engine.markets import calendar
from engine.sim import SimConfig
from engine.sim.config import END_OF_DATA, Sizing, Slippage


def limits() -> dict[str, Any]:
    return settings.BACKTESTS


# Defaults that fit Indian F&O (docs/backtests.md, "Defaults"): the instrument's own charges,
# one lot, and the margin its segment typically blocks, instead of zero fees and full notional.
DEFAULT_CAPITAL = Decimal("500000")
DEFAULT_FEES = {"option": "india_options", "future": "india_futures", "index": "india_futures",
                "equity": "india_equity_intraday"}  # fmt: skip
DEFAULT_MARGIN = {"option": 1.0, "future": 0.12, "index": 0.12, "equity": 0.2}
INDIA_FEES = ("india_options", "india_futures", "india_equity_intraday")


class FeesSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=64,
                                  help_text=f"one of {', '.join(sorted(BUILTIN_FEES))} or a plugin")  # fmt: skip
    params = serializers.DictField(required=False, default=dict)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for key, value in attrs["params"].items():
            if not (_finite_number(value) or (isinstance(value, str) and len(value) <= 40)):
                raise serializers.ValidationError(
                    {f"params.{key}": ["must be a number or a short string"]}
                )
        try:
            model = get_fee_model(attrs["model"], **attrs["params"])
            # The rates are checked when first used: use them now, so a bad value is a 400.
            model.charges(price=100.0, qty=1.0, side=1, on=date(2026, 1, 1))
        except (ValueError, TypeError) as exc:
            raise serializers.ValidationError({"model": [str(exc)]}) from exc
        return attrs


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class SizingSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=("fixed", "lots", "percent", "all_in"), default="lots")
    value = serializers.FloatField(min_value=1e-9, max_value=1e9, default=1.0)
    lot_size = serializers.FloatField(min_value=1e-9, max_value=1e9, required=False,
                                      help_text="Defaults to the instrument's lot size")  # fmt: skip

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["mode"] == "percent" and attrs["value"] > 100:
            raise serializers.ValidationError({"value": ["a percent of equity is at most 100"]})
        return attrs


class SlippageSerializer(serializers.Serializer):
    ticks = serializers.FloatField(min_value=0, max_value=1000, default=0.0)
    bps = serializers.FloatField(min_value=0, max_value=1000, default=0.0)


class RunConfigSerializer(serializers.Serializer):
    capital = serializers.DecimalField(max_digits=16, decimal_places=2, min_value=Decimal("1"),
                                       max_value=Decimal("1e12"), default=DEFAULT_CAPITAL)  # fmt: skip
    fees = FeesSerializer(required=False)
    sizing = SizingSerializer(required=False)
    slippage = SlippageSerializer(required=False)
    fill = serializers.ChoiceField(choices=("next_open", "close"), default="next_open",
                                   help_text="next bar's open (default) or the signal bar's close")  # fmt: skip
    stop_first = serializers.BooleanField(default=True)
    close_at_end = serializers.BooleanField(default=True,
                                            help_text="false: same as end_of_data keep_open")  # fmt: skip
    end_of_data = serializers.ChoiceField(choices=tuple(END_OF_DATA), required=False,
                                          help_text="a position open on the last bar: close it at "
                                          "its close (default) or its open, or keep it open")  # fmt: skip
    allow_long = serializers.BooleanField(default=True)
    allow_short = serializers.BooleanField(default=True)
    margin = serializers.FloatField(min_value=0.01, max_value=1.0, required=False,
                                    help_text="Blocked fraction of notional; default by segment: "
                                              "0.12 index/futures, 0.2 equity, 1.0 options")  # fmt: skip
    pyramiding = serializers.IntegerField(min_value=1, max_value=100, default=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end_of_data")
        if end is not None and not attrs["close_at_end"] and end != "keep_open":
            raise serializers.ValidationError(
                {"end_of_data": [f"'{end}' contradicts close_at_end=false (keep_open)"]}
            )
        return attrs


def instrument_facts(instrument: Any, *, start: date) -> dict[str, Any]:
    """What ``normalise`` needs to know of an instrument traded from ``start``."""
    return {"lot_size": instrument.lot_size, "tick_size": float(instrument.tick_size),
            "kind": instrument.kind, "exchange": instrument.exchange,
            "lot_symbol": dated_lot_symbol(instrument, start)}  # fmt: skip


def normalise(config: dict[str, Any], *, lot_size: int, tick_size: float, kind: str = "index",
              exchange: str = "NSE", lot_symbol: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Fill every default in, so the stored JSON alone reproduces the run.

    With ``lot_symbol`` (see :func:`dated_lot_symbol`) and no explicit ``lot_size``, lot-based
    sizing takes each bar's lot from the engine's calendar on the bar's date.
    """
    sizing = {"mode": "lots", "value": 1.0, **config.get("sizing", {})}
    if lot_symbol and "lot_size" not in sizing and sizing["mode"] != "fixed":
        sizing["lot_symbol"] = lot_symbol
    sizing.setdefault("lot_size", float(lot_size))
    return {
        "capital": str(config.get("capital", DEFAULT_CAPITAL)),
        "fees": _fees(config.get("fees"), kind=kind, exchange=exchange),
        "sizing": sizing,
        "slippage": {"ticks": 0.0, "bps": 0.0, "tick_size": tick_size, **config.get("slippage", {})},
        "margin": config.get("margin", DEFAULT_MARGIN.get(kind, 1.0)),
        **{k: config[k] for k in ("fill", "stop_first", "close_at_end", "allow_long",
                                  "allow_short", "pyramiding", "end_of_data") if k in config},
    }  # fmt: skip


def dated_lot_symbol(instrument: Any, start: date) -> str | None:
    """The calendar name of an index instrument whose lot sizes are dated from ``start``.

    Contract instruments (a future, an option) keep their own master lot; an index series is
    traded through whichever contract was listed, whose lot changed over the years.
    """
    if instrument.kind != "index":
        return None
    symbol = instrument.underlying or instrument.symbol
    try:
        calendar.lot_size(symbol, start)
    except ValueError:  # not a calendar underlying, or a run before its lot table
        return None
    return symbol


def _fees(requested: dict[str, Any] | None, *, kind: str, exchange: str) -> dict[str, Any]:
    fees = {"model": DEFAULT_FEES.get(kind, "zero"), "params": {}, **(requested or {})}
    if fees["model"] in INDIA_FEES and "exchange" not in fees["params"]:
        fees["params"] = {**fees["params"], "exchange": exchange}  # BSE rates for SENSEX
    return fees


def sim_config(config: dict[str, Any]) -> SimConfig:
    fees = config["fees"]
    return SimConfig(
        initial_cash=float(config["capital"]),
        fill=config.get("fill", "next_open"),
        sizing=Sizing(**config["sizing"]),
        fees=get_fee_model(fees["model"], **fees["params"]),
        slippage=Slippage(**config["slippage"]),
        margin=config.get("margin", 1.0),
        stop_first=config.get("stop_first", True),
        pyramiding=config.get("pyramiding", 1),
        end_of_data=end_of_data(config),
        allow_long=config.get("allow_long", True),
        allow_short=config.get("allow_short", True),
    )


def end_of_data(config: dict[str, Any]) -> str:
    """``end_of_data``, or from the older ``close_at_end`` flag (runs stored before it)."""
    if "end_of_data" in config:
        return str(config["end_of_data"])
    return "close_at_close" if config.get("close_at_end", True) else "keep_open"
