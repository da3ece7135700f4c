"""Settings that fail safe: DEBUG only when asked for, and no secret on any error page."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import path

ROOT = Path(__file__).resolve().parents[2]
DB_PASSWORD = "canary-db-pass-81c2"
REDIS_PASSWORD = "canary-redis-pass-4f0a"
SECRET = "canary-secret-key-" + "q" * 40
DATABASE_URL = f"postgres://trader:{DB_PASSWORD}@db.internal:5432/algobacktester"
REDIS_URL = f"redis://:{REDIS_PASSWORD}@cache.internal:6379/0"
CANARIES = (DB_PASSWORD, REDIS_PASSWORD, SECRET, "db.internal", "cache.internal")


def _debug_under(env: dict[str, str]) -> str:
    code = "import algobacktester.settings.base as s; print(s.DEBUG)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_debug_is_off_unless_asked_for(tmp_path: Path) -> None:
    var = {"VAR_DIR": str(tmp_path)}
    assert _debug_under(var) == "False"  # embedded: nothing set
    services = {**var, "DATABASE_URL": DATABASE_URL, "REDIS_URL": REDIS_URL}
    assert _debug_under(services) == "False"  # services mode started without Docker
    assert _debug_under({**var, "DEBUG": "true"}) == "True"


def _fail(request):
    dsn = DATABASE_URL  # locals like these are printed on a debug page
    broker = {"url": REDIS_URL}
    key = SECRET
    raise RuntimeError(f"could not connect to {REDIS_URL} with {dsn} {broker} {key}")


def _fail_chained(request):
    try:
        raise ConnectionError(f"connection to {DATABASE_URL} refused")
    except ConnectionError as exc:
        raise RuntimeError("the request failed") from exc


urlpatterns = [path("fail", _fail), path("fail-chained", _fail_chained)]


@pytest.mark.parametrize("url", ["/fail", "/fail-chained"])
@override_settings(
    DEBUG=True,
    ROOT_URLCONF=__name__,
    SECRET_KEY=SECRET,
    DATABASE_URL=DATABASE_URL,
    REDIS_URL=REDIS_URL,
    CELERY_BROKER_URL=REDIS_URL,
    CELERY_RESULT_BACKEND=REDIS_URL,
    CACHES={
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
    },
    CHANNEL_LAYERS={"default": {"BACKEND": "x", "CONFIG": {"hosts": [REDIS_URL]}}},
    RATE_LIMITS={"STORAGE_URL": REDIS_URL},
)
def test_a_debug_page_shows_no_secret(url: str) -> None:
    client = Client(raise_request_exception=False)
    # WSGI servers copy the process environment into request.META
    response = client.get(
        url, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, HTTP_ACCEPT="text/html"
    )
    page = response.content.decode()
    assert response.status_code == 500
    assert "Traceback" in page or "Request Method" in page  # it is the technical page
    for canary in CANARIES:
        assert canary not in page, canary
    text = Client(raise_request_exception=False).get(url, HTTP_ACCEPT="text/plain")
    for canary in CANARIES:
        assert canary not in text.content.decode(), canary
