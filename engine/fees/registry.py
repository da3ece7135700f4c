"""Look a fee model up by name; ``custom_modules/fees/<name>.py`` wins over a built-in.

A custom module defines ``FeeModel``, a :class:`~engine.fees.base.BaseFees` subclass
whose constructor takes the keyword parameters given here.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from engine.fees.base import BaseFees
from engine.fees.models import BUILTIN

CUSTOM_PACKAGE = "custom_modules.fees"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def get_fee_model(name: str, custom_package: str = CUSTOM_PACKAGE, /, **params: Any) -> BaseFees:
    """A fee model instance by ``name`` with ``params``; ``ValueError`` names what is wrong.

    ``custom_package`` is positional-only, so a ``params`` mapping from a request can never
    choose which package is imported: such a key is just an unknown parameter.
    """
    if not _NAME.match(name):
        raise ValueError(f"fee model name {name!r} must be lower_snake_case")
    cls = _custom(name, custom_package) or BUILTIN.get(name)
    if cls is None:
        raise ValueError(f"unknown fee model {name!r}; built-ins: {', '.join(sorted(BUILTIN))}")
    try:
        return cls(**params)
    except TypeError as exc:
        raise ValueError(f"bad parameters for fee model {name!r}: {exc}") from None


def available_fee_models(custom_package: str = CUSTOM_PACKAGE) -> list[str]:
    return sorted(BUILTIN)


def _custom(name: str, package: str) -> type[BaseFees] | None:
    try:
        module = importlib.import_module(f"{package}.{name}")
    except ModuleNotFoundError as exc:
        # Only "this plugin does not exist" falls through; a broken plugin must surface.
        if exc.name in {package, f"{package}.{name}", package.split(".")[0]}:
            return None
        raise
    cls = getattr(module, "FeeModel", None)
    if not (isinstance(cls, type) and issubclass(cls, BaseFees)):
        raise ValueError(f"{package}.{name} must define FeeModel, a BaseFees subclass")
    return cls
