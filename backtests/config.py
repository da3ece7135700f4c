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
from engine.sim import SimConfig
from engine.sim.config import END_OF_DATA, Sizing, Slippage


def limits() -> dict[str, Any]:
    return settings.BACKTESTS


class FeesSerializer(serializers.Serializer):
    model = serializers.CharField(max_length=64, default="zero",
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
    mode = serializers.ChoiceField(choices=("fixed", "lots", "percent", "all_in"), default="fixed")
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
                                       max_value=Decimal("1e12"), default=Decimal("100000"))  # fmt: skip
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
    margin = serializers.FloatField(min_value=0.01, max_value=1.0, default=1.0)
    pyramiding = serializers.IntegerField(min_value=1, max_value=100, default=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end = attrs.get("end_of_data")
        if end is not None and not attrs["close_at_end"] and end != "keep_open":
            raise serializers.ValidationError(
                {"end_of_data": [f"'{end}' contradicts close_at_end=false (keep_open)"]}
            )
        return attrs


def normalise(config: dict[str, Any], *, lot_size: int, tick_size: float) -> dict[str, Any]:
    """Fill every default in, so the stored JSON alone reproduces the run."""
    sizing = {"mode": "fixed", "value": 1.0, **config.get("sizing", {})}
    sizing.setdefault("lot_size", float(lot_size))
    return {
        "capital": str(config.get("capital", Decimal("100000"))),
        "fees": {"model": "zero", "params": {}, **config.get("fees", {})},
        "sizing": sizing,
        "slippage": {"ticks": 0.0, "bps": 0.0, "tick_size": tick_size, **config.get("slippage", {})},
        **{k: config[k] for k in ("fill", "stop_first", "close_at_end", "allow_long",
                                  "allow_short", "margin", "pyramiding", "end_of_data") if k in config},
    }  # fmt: skip


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
