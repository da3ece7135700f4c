"""Brokers by name: built-ins, ``settings.TRADES["BROKERS"]``, and operator plugins.

A plugin is ``custom_modules/exchanges/<name>.py`` defining ``Broker``, a subclass of
:class:`trades.brokers.base.Broker`; a name there overrides a built-in of the same name (as
fee models and indicators do). A class that leaves a required method out is refused when it
is looked up, naming the methods, rather than failing on the first order.
"""

from __future__ import annotations

import importlib
import pkgutil
import re

from django.conf import settings
from django.utils.module_loading import import_string

from .base import Broker, missing_methods

CUSTOM_PACKAGE = "custom_modules.exchanges"
BUILTIN = {
    "paper": "trades.brokers.paper.PaperBroker",
    "dhan": "trades.brokers.dhan.DhanBroker",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class UnknownBroker(LookupError):  # noqa: N818 - names the outcome
    pass


def broker_names() -> list[str]:
    custom = {m.name for m in pkgutil.iter_modules(_custom_paths()) if _NAME.match(m.name)}
    return sorted({*BUILTIN, *settings.TRADES.get("BROKERS", {}), *custom})


def broker_class(name: str) -> type[Broker]:
    if not _NAME.match(name or ""):
        raise UnknownBroker(f"broker name {name!r} must be lower_snake_case")
    cls = _custom(name)
    if cls is None:
        path = settings.TRADES.get("BROKERS", {}).get(name) or BUILTIN.get(name)
        if path is None:
            raise UnknownBroker(f"unknown broker {name!r}; one of {', '.join(broker_names())}")
        cls = import_string(path)
    if not (isinstance(cls, type) and issubclass(cls, Broker)):
        raise TypeError(f"broker {name!r} is not a trades.brokers.base.Broker subclass")
    if missing := missing_methods(cls):
        raise TypeError(f"broker {name!r} does not implement {', '.join(missing)}")
    return cls


def _custom_paths() -> list[str]:
    try:
        return list(importlib.import_module(CUSTOM_PACKAGE).__path__)
    except ModuleNotFoundError:
        return []


def _custom(name: str) -> type[Broker] | None:
    try:
        module = importlib.import_module(f"{CUSTOM_PACKAGE}.{name}")
    except ModuleNotFoundError as exc:
        # Only "no such plugin" falls through; a plugin with a broken import must surface.
        if exc.name in {CUSTOM_PACKAGE, f"{CUSTOM_PACKAGE}.{name}", CUSTOM_PACKAGE.split(".")[0]}:
            return None
        raise
    cls = getattr(module, "Broker", None)
    if cls is None:
        raise TypeError(f"{CUSTOM_PACKAGE}.{name} must define Broker, a Broker subclass")
    return cls
