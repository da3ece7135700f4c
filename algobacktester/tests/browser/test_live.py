"""The live dashboard in the browser: create a paper session on a replay of stored NIFTY bars
from the form, start it (the replay plays in the web process, the steps run on a Celery
worker), watch its state arrive over /ws/ (the last bar moves without a reload, the log and
the chart fill), and stop it after a confirmation."""

from __future__ import annotations

import re
from typing import Any

from django.db.models import Min
from playwright.sync_api import Page, expect

from .conftest import sign_in, strategy_from_template


def test_paper_session_on_a_replay(
    page: Page, make_browser_user, nifty, celery_worker, screenshot
) -> None:
    from live.models import LiveSession
    from trades.models import BrokerAccount
    from trades.services.accounts import account_connect

    who = make_browser_user()
    strategy_from_template(who.user)
    account = account_connect(
        user=who.user, broker="paper", name="Replay paper", paper={"starting_cash": "10000000"}
    )
    # The gate's hours rule reads the replay's clock; the per-second cap is for people.
    BrokerAccount.objects.filter(pk=account.pk).update(
        risk={"trading_hours": None, "max_orders_per_second": 1000}
    )
    first_day = _first_day(nifty)

    sign_in(page, who, path="/live")
    expect(page.get_by_text("No sessions yet")).to_be_visible()
    form = page.get_by_role("form", name="New session")
    form.get_by_label("Name (optional)").fill("EMA replay")
    form.get_by_label("Instrument").fill("NIFTY")
    form.get_by_label("Replay from").fill(first_day)
    form.get_by_label("Replay to (optional)").fill(first_day)
    # One-minute bars at 300 × real time: one bar every 0.2 s.
    form.get_by_label("Speed (× real time, 0 = fastest)").fill("300")
    form.get_by_role("button", name="Create session").click()

    expect(page).to_have_url(re.compile(r"/live/\d+$"))
    session = LiveSession.objects.get(owner=who.user)
    status = page.get_by_test_id("session-status")
    expect(status).to_have_text("draft")

    # Start asks first.
    page.get_by_role("button", name="Start", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("trades on its account")
    dialog.get_by_role("button", name="Start").click()
    expect(status).to_have_text("running")

    # session.state events move the last bar with no reload of the page.
    last_bar = page.get_by_test_id("session-last-bar")
    # The first step may wait for the worker's first engine compile (a cold numba cache).
    expect(last_bar).not_to_have_text("—", timeout=150_000)
    first_seen = last_bar.inner_text()
    expect(last_bar).not_to_have_text(first_seen, timeout=30_000)
    expect(page.get_by_test_id("session-indicators")).to_be_visible()
    log = page.get_by_role("table", name="Event log")
    expect(log.get_by_role("row")).not_to_have_count(0)
    chart = page.get_by_test_id("live-chart")
    expect(chart).to_have_attribute("data-bar-count", re.compile(r"^[1-9]\d*$"))

    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="Stop").click()
    expect(status).to_have_text("stopped")
    session.refresh_from_db()
    assert session.status == "stopped"
    assert session.steps > 0

    # The day's drift against a backtest of the bars the session read.
    drift = page.get_by_test_id("drift-panel")
    # The first report waits for a backtest in the web process (a cold engine compiles).
    refresh = drift.get_by_role("button", name="Refresh")
    expect(refresh).to_be_enabled(timeout=120_000)
    refresh.click()
    expect(drift.get_by_label("Drift summary")).to_contain_text("Trades live / backtest")
    expect(drift).to_contain_text(f"{session.steps} bars", timeout=60_000)
    screenshot("live-session")

    # The list shows it, with its status, and offers only what a stopped session allows.
    page.get_by_role("link", name="Live", exact=True).click()
    row = page.locator(f"[data-session='{session.pk}']")
    expect(row).to_contain_text("stopped")
    expect(row.get_by_role("button", name="Start")).to_be_visible()
    expect(row.get_by_role("button", name="Pause")).to_have_count(0)
    screenshot("live-sessions")


def _first_day(instrument: Any) -> str:
    from engine.markets.calendar import IST

    first = instrument.candles.aggregate(first=Min("ts"))["first"]
    return first.astimezone(IST).date().isoformat()
