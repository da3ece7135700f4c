"""The engine is a library: importing it pulls in no web or task framework."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {"django", "rest_framework", "celery", "channels", "redis", "requests"}


def test_engine_imports_no_framework() -> None:
    code = (
        "import sys, engine.graph, engine.indicators\n"
        "engine.indicators.catalogue()\n"
        f"bad = sorted({{m.split('.')[0] for m in sys.modules}} & {FORBIDDEN!r})\n"
        "assert not bad, bad\n"
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
