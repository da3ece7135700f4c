"""Layering the imports must keep (docs/adr/0009-events-errors-limits-logs.md).

Scanned with ``ast``, so an import hidden inside a function counts too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("algobacktester", "backtests", "marketdata", "notifications", "strategies", "trades")


def imported_modules(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def source_files(*packages: str) -> Iterator[Path]:
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "tests" not in parts and "migrations" not in parts:
                yield path


def is_service_or_selector(path: Path) -> bool:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return "services" in parts or "selectors" in parts


def offenders(paths: list[Path], forbidden: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}: {module}"
        for path in paths
        for module in imported_modules(path)
        if module == forbidden or module.startswith(forbidden + ".")
    ]


def test_services_and_selectors_import_nothing_from_drf() -> None:
    """Services raise ``algobacktester.errors``; only ``api/`` speaks HTTP."""
    paths = [p for p in source_files(*APPS) if is_service_or_selector(p)]
    assert len(paths) >= 10  # the scan finds the modules it guards
    assert offenders(paths, "rest_framework") == []


def test_the_error_hierarchy_and_marketdata_helpers_are_transport_neutral() -> None:
    paths = [
        ROOT / "algobacktester" / "errors.py",
        ROOT / "algobacktester" / "bus.py",
        ROOT / "backtests" / "config.py",
        ROOT / "backtests" / "sweeps.py",
        ROOT / "marketdata" / "ranges.py",
        ROOT / "marketdata" / "timeframes.py",
        ROOT / "marketdata" / "admin.py",
        *(ROOT / "marketdata" / "management" / "commands").glob("*.py"),
        ROOT / "notifications" / "errors.py",
    ]
    assert offenders(paths, "rest_framework") == []


@pytest.mark.parametrize("app", ["backtests", "marketdata"])
def test_producers_of_events_do_not_import_notifications(app: str) -> None:
    """They ``emit`` on the bus; notifications subscribes (no import cycle)."""
    assert offenders(list(source_files(app)), "notifications") == []


def test_the_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from notifications.services import event_notify\n")
    assert list(imported_modules(module)) == ["notifications.services"]


def retry_offences(path: Path) -> list[str]:
    """How a module that places orders (calls ``place_order`` or ``submit_once``) retries."""
    text = path.read_text()
    if not ("place_order" in text or "submit_once(" in text):
        return []
    found = ["tenacity"] if "tenacity" in set(imported_modules(path)) else []
    return found + [word for word in ("read_retrying", "Retrying(") if word in text]


def test_code_that_places_orders_never_retries() -> None:
    """An order is POSTed once (RELIABILITY.md): whatever calls ``place_order`` or
    ``submit_once`` must not wrap it in tenacity or ``read_retrying``."""
    limiter_module = ROOT / "algobacktester" / "ratelimits.py"
    offenders = {
        str(path.relative_to(ROOT)): retry_offences(path)
        for path in source_files(*APPS, "workers")
        if path != limiter_module and retry_offences(path)
    }
    assert not offenders


def test_the_retry_scan_flags_an_order_wrapped_in_retries(tmp_path: Path) -> None:
    module = tmp_path / "orders.py"
    module.write_text(
        "import tenacity\n\n"
        "def place(limiter, call):\n"
        "    return tenacity.Retrying()(lambda: submit_once(limiter=limiter, call=call))\n"
    )
    assert retry_offences(module) == ["tenacity", "Retrying("]
    module.write_text(
        "def place(limiter, call):\n    return submit_once(limiter=limiter, call=call)\n"
    )
    assert retry_offences(module) == []


def test_list_views_paginate_through_the_one_helper() -> None:
    """``paginated_response`` (or ``paginated_data``, for a view that answers bytes) is the
    only place a list view builds its page."""
    allowed: dict = {}
    for path in source_files(*APPS):
        if path.parent.name != "api" or path.name == "pagination.py":
            continue
        text = path.read_text()
        assert "def _paginate" not in text, path
        assert text.count("PageNumberPagination()") <= allowed.get(path, 0), path


def test_no_formatter_escapes_in_the_code() -> None:
    """``ruff format`` owns layout: a skip marker only hid lines the formatter would fix."""
    marker = "# fmt: " + "skip"  # split, so this file does not match itself
    packages = (*APPS, "engine", "workers", "bench", "custom_modules", "scripts")
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for package in packages
        for path in sorted((ROOT / package).rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if marker in line
    ]
    assert not found, f"formatter escapes: {found}"
