"""gunicorn.conf.py: WEB_CONCURRENCY when set, else one worker per core; our worker class."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
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


def test_web_workers_get_a_database_pool_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DB_POOL_MAX_SIZE", raising=False)
    _settings(monkeypatch)
    assert os.environ["DB_POOL_MAX_SIZE"] == "8"
    _settings(monkeypatch, DB_POOL_MAX_SIZE="0")
    assert os.environ["DB_POOL_MAX_SIZE"] == "0"


@pytest.mark.parametrize(("size", "pooled"), [("4", True), ("0", False)])
def test_the_pool_setting_reaches_django(size: str, pooled: bool) -> None:
    """In a fresh process, as a web worker starts: Django's PostgreSQL OPTIONS get a pool."""
    code = (
        "import django; from django.conf import settings; django.setup(); "
        "d = settings.DATABASES['default']; "
        "print(d.get('OPTIONS', {}).get('pool'), d['CONN_MAX_AGE'])"
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))},
        "DJANGO_SETTINGS_MODULE": "algobacktester.settings.base",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/unused",
        "DB_POOL_MAX_SIZE": size,
    }
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=CONF.parent, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    pool, max_age = out.stdout.strip().rsplit(" ", 1)
    expected = "{'min_size': 2, 'max_size': 4, 'timeout': 10}" if pooled else "None"
    assert (pool, max_age) == (expected, "0")
