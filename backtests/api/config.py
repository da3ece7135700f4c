"""The run configuration as the API accepts it; ``backtests.config`` stores and uses it."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from engine.fees import get_fee_model
from engine.fees.models import BUILTIN as BUILTIN_FEES
from engine.options.config import DEFAULT_RATE, DEFAULT_SHORT_MARGIN_PCT, PREMIUM_SOURCES
from engine.sim.config import END_OF_DATA

from ..config import DEFAULT_CAPITAL


class FeesSerializer(serializers.Serializer):
    model = serializers.CharField(
        max_length=64, help_text=f"one of {', '.join(sorted(BUILTIN_FEES))} or a plugin"
    )
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


class SizingSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=("fixed", "lots", "percent", "all_in"), default="lots")
    value = serializers.FloatField(min_value=1e-9, max_value=1e9, default=1.0)
    lot_size = serializers.FloatField(
        min_value=1e-9,
        max_value=1e9,
        required=False,
        help_text="Defaults to the instrument's lot size",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["mode"] == "percent" and attrs["value"] > 100:
            raise serializers.ValidationError({"value": ["a percent of equity is at most 100"]})
        return attrs


class SlippageSerializer(serializers.Serializer):
    ticks = serializers.FloatField(min_value=0, max_value=1000, default=0.0)
    bps = serializers.FloatField(min_value=0, max_value=1000, default=0.0)


class OptionsSerializer(serializers.Serializer):
    """How a strategy's option legs are priced (docs/backtests.md, "Option legs")."""

    premium_source = serializers.ChoiceField(
        choices=PREMIUM_SOURCES,
        help_text="real: stored candles of each resolved contract (a missing bar fails the "
        "run); model: Black-76 from the underlying; real_then_model: stored where they exist",
    )
    iv = serializers.FloatField(
        min_value=0.001,
        max_value=5.0,
        required=False,
        help_text="constant annualised implied volatility (0.14 = 14%) for model premiums",
    )
    iv_series = serializers.ChoiceField(
        choices=("auto", "atm_iv", "india_vix"),
        required=False,
        help_text="a stored IV series instead of a constant: ATM IV, India VIX, or auto",
    )
    rate = serializers.FloatField(
        min_value=-0.5, max_value=0.99, default=DEFAULT_RATE, help_text="annual, continuous"
    )
    short_margin_pct = serializers.FloatField(
        min_value=0.01,
        max_value=100.0,
        default=DEFAULT_SHORT_MARGIN_PCT,
        help_text="percent of the underlying's notional each short leg blocks",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "iv" in attrs and "iv_series" in attrs:
            raise serializers.ValidationError({"iv_series": ["give iv or iv_series, not both"]})
        if attrs["premium_source"] == "real" and ("iv" in attrs or "iv_series" in attrs):
            field = "iv" if "iv" in attrs else "iv_series"
            raise serializers.ValidationError(
                {field: ["'real' premiums use no IV; remove it or use real_then_model"]}
            )
        return attrs


class RunConfigSerializer(serializers.Serializer):
    capital = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        min_value=Decimal("1"),
        max_value=Decimal("1e12"),
        default=DEFAULT_CAPITAL,
    )
    fees = FeesSerializer(required=False)
    sizing = SizingSerializer(required=False)
    slippage = SlippageSerializer(required=False)
    fill = serializers.ChoiceField(
        choices=("next_open", "close"),
        default="next_open",
        help_text="next bar's open (default) or the signal bar's close",
    )
    stop_first = serializers.BooleanField(default=True)
    close_at_end = serializers.BooleanField(
        required=False,
        help_text="older spelling: false is end_of_data keep_open, true close_at_close; "
        "prefer end_of_data (the run's config stores only that)",
    )
    end_of_data = serializers.ChoiceField(
        choices=tuple(END_OF_DATA),
        required=False,
        help_text="a position open on the last bar: close it at "
        "its close (default) or its open, or keep it open",
    )
    allow_long = serializers.BooleanField(default=True)
    allow_short = serializers.BooleanField(default=True)
    margin = serializers.FloatField(
        min_value=0.01,
        max_value=1.0,
        required=False,
        help_text="Blocked fraction of notional; default by segment: "
        "0.12 index/futures, 0.2 equity, 1.0 options",
    )
    pyramiding = serializers.IntegerField(min_value=1, max_value=100, default=1)
    options = OptionsSerializer(
        required=False, help_text="required when the strategy has option legs, refused otherwise"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        end, close = attrs.get("end_of_data"), attrs.get("close_at_end")
        if end is not None and close is not None and close != (end != "keep_open"):
            said = "false (keep_open)" if close is False else "true (close the position)"
            raise serializers.ValidationError(
                {"end_of_data": [f"'{end}' contradicts close_at_end={said}"]}
            )
        return attrs


def _finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
