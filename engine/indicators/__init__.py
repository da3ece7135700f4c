"""The indicator catalogue: every TA-Lib function, SuperTrend, session VWAP, the price
sources, and operator plugins (which override a built-in of the same name).

    >>> from engine.indicators import catalogue, get_registry
    >>> [e["name"] for e in catalogue() if e["name"] == "MACD"]
    ['MACD']
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from engine.indicators.base import PRICE_FIELDS, BaseIndicator, IndicatorState, Input, Param
from engine.indicators.builtin import builtin_indicators
from engine.indicators.plugins import DEFAULT_PACKAGE, load_plugins
from engine.indicators.talib_wrap import talib_indicators

Registry = dict[str, BaseIndicator]

__all__ = [
    "PRICE_FIELDS",
    "BaseIndicator",
    "IndicatorState",
    "Input",
    "Param",
    "Registry",
    "catalogue",
    "get_registry",
    "source_entries",
]


@cache
def _builtins() -> Registry:
    return {**talib_indicators(), **builtin_indicators()}


@cache
def _registry_cached(plugins: str | Path | None) -> Registry:
    return {**_builtins(), **load_plugins(plugins)}


def get_registry(plugins: str | Path | None = DEFAULT_PACKAGE, *, reload: bool = False) -> Registry:
    """Indicators keyed by upper-case name; ``plugins`` is a package name, folder or None."""
    if reload:
        _registry_cached.cache_clear()
    return _registry_cached(plugins)


def source_entries() -> list[dict[str, Any]]:
    return [
        {
            "kind": "source",
            "name": f,
            "group": "Price",
            "display_name": f,
            "origin": "builtin",
            "inputs": [],
            "parameters": [],
            "outputs": [{"name": "out", "type": "number"}],
        }
        for f in PRICE_FIELDS
    ]


def catalogue(plugins: str | Path | None = DEFAULT_PACKAGE) -> list[dict[str, Any]]:
    """JSON-serialisable entries: sources first, then indicators sorted by group and name."""
    inds = sorted(get_registry(plugins).values(), key=lambda i: (i.group, i.name))
    return [*source_entries(), *(i.describe() for i in inds)]
