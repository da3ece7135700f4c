"""Pluggable fee models: ``get_fee_model(name, **params)`` and the built-ins."""

from engine.fees.base import BaseFees, Charges, FeeRates, FeeTable
from engine.fees.models import (
    BUILTIN,
    FlatFees,
    IndiaEquityIntradayFees,
    IndiaIndexFuturesFees,
    IndiaIndexOptionsFees,
    MinFlatPercentFees,
    PercentFees,
    ZeroFees,
)
from engine.fees.registry import available_fee_models, get_fee_model

__all__ = [
    "BUILTIN",
    "BaseFees",
    "Charges",
    "FeeRates",
    "FeeTable",
    "FlatFees",
    "IndiaEquityIntradayFees",
    "IndiaIndexFuturesFees",
    "IndiaIndexOptionsFees",
    "MinFlatPercentFees",
    "PercentFees",
    "ZeroFees",
    "available_fee_models",
    "get_fee_model",
]
