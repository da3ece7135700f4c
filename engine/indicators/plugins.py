"""Operator plugins: every ``BaseIndicator`` subclass found in a package or folder.

The default package is ``custom_modules.indicators``; tests and operators can pass another
package name or a folder path. A plugin that fails to import is reported with a warning
rather than taking the whole catalogue down.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import pkgutil
import sys
import warnings
from pathlib import Path
from types import ModuleType

from engine.indicators.base import BaseIndicator

DEFAULT_PACKAGE = "custom_modules.indicators"


def load_plugins(source: str | Path | None = DEFAULT_PACKAGE) -> dict[str, BaseIndicator]:
    """Indicators keyed by upper-cased name; ``source`` is a dotted package or a folder."""
    if source is None:
        return {}
    modules = _from_dir(Path(source)) if _is_dir(source) else _from_package(str(source))
    found: dict[str, BaseIndicator] = {}
    for module in modules:
        for cls in _indicator_classes(module):
            found[cls.name.upper()] = cls()
    return found


def _is_dir(source: str | Path) -> bool:
    return isinstance(source, Path) or "/" in str(source) or "\\" in str(source)


def _from_package(name: str) -> list[ModuleType]:
    try:
        pkg = importlib.import_module(name)
    except ImportError:
        return []  # no plugin package installed: only built-ins
    out = []
    for info in pkgutil.iter_modules(getattr(pkg, "__path__", [])):
        module = _guarded(lambda info=info: importlib.import_module(f"{name}.{info.name}"))
        if module is not None:
            out.append(module)
    return out


def _from_dir(folder: Path) -> list[ModuleType]:
    out = []
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module = _guarded(lambda path=path: _load_file(path))
        if module is not None:
            out.append(module)
    return out


def _load_file(path: Path) -> ModuleType:
    mod_name = f"_indicator_plugin_{abs(hash(str(path.resolve())))}_{path.stem}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    spec.loader.exec_module(module)
    return module


def _guarded(load: object) -> ModuleType | None:
    try:
        return load()  # type: ignore[operator]
    except Exception as exc:  # a broken plugin must not break the catalogue
        warnings.warn(f"indicator plugin failed to load: {exc!r}", stacklevel=3)
        return None


def _indicator_classes(module: ModuleType) -> list[type[BaseIndicator]]:
    return [
        obj
        for obj in vars(module).values()
        if inspect.isclass(obj)
        and issubclass(obj, BaseIndicator)
        and obj.__module__ == module.__name__
        and obj.name
        and not inspect.isabstract(obj)
    ]
