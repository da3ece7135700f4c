"""Data providers behind one interface, named in ``settings.MARKETDATA["PROVIDERS"]``.

``provider_get("dhan")`` resolves the dotted path lazily (as DRF does for its pluggable parts),
so an operator can add a provider without touching this package.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from .base import (
    FileFormatError,
    InstrumentRef,
    InstrumentSpec,
    Provider,
    ProviderError,
)

DEFAULT_PROVIDERS = {
    "synthetic": "marketdata.providers.synthetic.SyntheticProvider",
    "dhan": "marketdata.providers.dhan.DhanProvider",
    "file": "marketdata.providers.files.FileProvider",
}

__all__ = [
    "FileFormatError",
    "InstrumentRef",
    "InstrumentSpec",
    "Provider",
    "ProviderError",
    "provider_class",
    "provider_get",
    "provider_names",
]


def _registry() -> dict[str, str]:
    conf = getattr(settings, "MARKETDATA", {}) or {}
    return {**DEFAULT_PROVIDERS, **conf.get("PROVIDERS", {})}


def provider_names(capability: str | None = None) -> list[str]:
    names = sorted(_registry())
    if capability is None:
        return names
    return [n for n in names if capability in provider_class(n).capabilities]


def provider_class(name: str) -> type[Provider]:
    registry = _registry()
    if name not in registry:
        raise ProviderError(f"unknown provider '{name}' (known: {', '.join(sorted(registry))})")
    return import_string(registry[name])


def provider_get(name: str, **options: Any) -> Provider:
    return provider_class(name)(**options)
