"""gunicorn.conf.py: WEB_CONCURRENCY when set, else one worker per core; our worker class."""

from __future__ import annotations

import os
import runpy
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def _settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("PORT", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return runpy.run_path(str(CONF))


def test_default_is_one_worker_per_usable_core(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch)
    assert settings["workers"] == len(os.sched_getaffinity(0))
    assert settings["worker_class"] == "algobacktester.asgi_worker.UvicornWorker"
    assert settings["bind"] == "0.0.0.0:8000"


def test_web_concurrency_and_port_win(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _settings(monkeypatch, WEB_CONCURRENCY="5", PORT="9000")
    assert settings["workers"] == 5
    assert settings["bind"] == "0.0.0.0:9000"


def test_web_concurrency_below_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        _settings(monkeypatch, WEB_CONCURRENCY="0")
