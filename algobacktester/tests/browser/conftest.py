"""Browser tests: Playwright driving Debian's Chromium against the real app.

One uvicorn server (the project's ASGI app in services mode, as in test_asgi_server) serves
the built web app (static/app/, made by `make test`) and the API on the test database; a
Celery worker process runs backtests and sweeps for the tests that ask for it. Every test
gets a fresh browser context (no cookies), so users never leak between tests.

Skipped, saying why, when Chromium, the playwright package, the built app, PostgreSQL or
Redis is missing. Screenshots go to var/screenshots/ (gitignored) for docs/ui.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from workers.testing import (
    SERVICES_MARKS,
    asgi_server_process,
    free_port,
    worker_env,
    worker_process,
)

ROOT = Path(__file__).resolve().parents[3]
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
APP_INDEX = ROOT / "static" / "app" / "index.html"
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", ROOT / "var" / "screenshots"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PASSWORD = "browser-test-Pa55!"
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}

try:
    from playwright.sync_api import Browser, Page, expect, sync_playwright
except ImportError:  # pragma: no cover - requirements-dev.txt installs it
    sync_playwright = None  # type: ignore[assignment]


def _missing() -> str | None:
    if sync_playwright is None:
        return "the playwright package is not installed (pip install -r requirements-dev.txt)"
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium; .ci/run does)"
    if not APP_INDEX.exists():
        return f"the web app is not built ({APP_INDEX} is absent: run `make ui`)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _missing()
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent != here:
            continue
        for mark in SERVICES_MARKS:
            item.add_marker(mark)
        item.add_marker(pytest.mark.slow)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def _server_env(django_db_setup: Any, django_db_blocker: Any) -> dict[str, str]:
    import redis

    with django_db_blocker.unblock():
        redis.Redis.from_url(settings.TEST_REDIS_URL).flushdb()
        env = worker_env(settings.TEST_REDIS_URL, SECRET_KEY=settings.SECRET_KEY)
    env.update(
        WHITENOISE_USE_FINDERS="true",  # serve static/app/ without a collectstatic
        THROTTLE_REGISTER_IP="1000/hour",  # every test signs up from 127.0.0.1
        THROTTLE_LOGIN_IP="1000/min",
        VAR_DIR=str(ROOT / "var" / "browser-test"),
        # A started replay session plays in a thread of the web process (docs/live.md,
        # "Embedded mode"); its steps still go to the worker of the tests that start one.
        LIVE_EMBEDDED_FEED="1",
    )
    return env


@pytest.fixture(scope="session")
def app_server(_server_env: dict[str, str]) -> Iterator[str]:
    """Base URL of uvicorn serving the built app and the API."""
    port = free_port()
    with asgi_server_process(env=_server_env, port=port):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def celery_worker(_server_env: dict[str, str]) -> Iterator[None]:
    """A worker on every queue, for tests that run backtests or sweeps. Per module, not per
    session: a worker left running on the test Redis would take the tasks of the real-worker
    suites that run later (and rescue their deliberately orphaned runs)."""
    queues = "backtests,marketdata,live,notifications,default"
    with worker_process(env=_server_env, queues=queues, name="browser"):
        yield


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Playwright's sync API keeps an event loop marked running in this thread while it is
    started: Django's ORM (the tests' own queries and the database flush) must be told it
    is safe, and Playwright stops after each module so no later test inherits the loop."""
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            yield b
            b.close()
    finally:
        mp.undo()


@pytest.fixture
def page(browser: Browser, app_server: str) -> Iterator[Page]:
    context = browser.new_context(base_url=app_server, viewport=DESKTOP, timezone_id="UTC")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def screenshot(page: Page) -> Callable[..., Path]:
    """``screenshot("dashboard")`` writes var/screenshots/dashboard.png (full page)."""

    def take(name: str, *, target: Page | None = None, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9_-]+', '-', name.lower())}.png"
        (target or page).screenshot(path=str(path), full_page=full_page)
        return path

    return take


@dataclass
class BrowserUser:
    email: str
    password: str
    user: Any


@pytest.fixture
def make_browser_user(transactional_db: Any, app_server: str) -> Callable[..., BrowserUser]:
    """Users signed up through the server's API, as the app would (the test settings hash
    passwords with a hasher the server does not use, so the ORM cannot make them)."""
    import json
    import urllib.request

    from algobacktester.accounts.models import User

    count = 0

    def make(*, staff: bool = False, name: str = "Asha Trader") -> BrowserUser:
        nonlocal count
        count += 1
        email = f"trader{count}-{os.getpid()}@example.com"
        body = json.dumps({"email": email, "password": PASSWORD, "name": name}).encode()
        request = urllib.request.Request(
            f"{app_server}/api/auth/register",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            assert response.status == 201
        user = User.objects.get(email=email)
        if staff:
            User.objects.filter(pk=user.pk).update(is_staff=True)
            user.refresh_from_db()
        return BrowserUser(email=email, password=PASSWORD, user=user)

    return make


def sign_in(page: Page, who: BrowserUser, *, path: str = "/") -> None:
    """Sign in through the form, as a person would, and wait for the signed-in shell."""
    page.goto(path)
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


@pytest.fixture
def signed_in(page: Page, make_browser_user: Callable[..., BrowserUser]) -> BrowserUser:
    """A user signed in on ``page``."""
    who = make_browser_user()
    sign_in(page, who)
    return who


@pytest.fixture
def nifty(transactional_db: Any) -> Any:
    """Three trading days of seeded NIFTY one-minute bars (committed: the server reads them)."""
    from marketdata.models import Instrument
    from marketdata.services.demo import demo_candles_seed

    demo_candles_seed(symbols=("NIFTY",), days=3, seed=7)
    return Instrument.objects.get(symbol="NIFTY", kind=Instrument.Kind.INDEX)


def strategy_from_template(user: Any, key: str = "ema_20_50_cross", name: str | None = None) -> Any:
    from strategies.services import strategy_clone
    from strategies.templates import template_get

    template = template_get(key)
    assert template is not None, key
    return strategy_clone(
        owner=user,
        name=name or template.name,
        description=template.description,
        graph=template.graph,
    )


def finished_run(user: Any, strategy: Any, instrument: Any, **config: Any) -> Any:
    """A backtest run to completion in this process (Celery is eager in the test settings),
    on a thread of its own: Playwright's event loop runs on this one, and the run's events
    (async_to_sync to the channel layer) refuse a thread with a running loop."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def work() -> Any:
        try:
            return _finished_run(user, strategy, instrument, **config)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def _finished_run(user: Any, strategy: Any, instrument: Any, **config: Any) -> Any:
    from datetime import date

    from django.db.models import Max, Min

    from backtests.services import backtest_request

    span = instrument.candles.aggregate(first=Min("ts"), last=Max("ts"))
    run = backtest_request(
        user=user,
        strategy_id=strategy.pk,
        instrument_ref=instrument.pk,
        start=date.fromisoformat(span["first"].date().isoformat()),
        end=date.fromisoformat(span["last"].date().isoformat()),
        config={"capital": 2_000_000, "fees": {"model": "india_futures", "params": {}}, **config},
    )
    run.refresh_from_db()
    assert run.status == "done", run.error
    return run
