"""The engine is a library: importing any of it pulls in no web, task or network framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "django",
    "rest_framework",
    "celery",
    "channels",
    "redis",
    "requests",
    "psycopg",
    "dhanhq",
}


def test_no_engine_module_imports_a_framework() -> None:
    code = (
        "import importlib, pkgutil, sys, engine\n"
        "names = [m.name for m in pkgutil.walk_packages(engine.__path__, 'engine.')\n"
        "         if '.tests' not in m.name]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "import engine.indicators; engine.indicators.catalogue()\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & {FORBIDDEN!r})\n"
        "assert not bad, bad\n"
        "assert len(names) > 30, names\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
