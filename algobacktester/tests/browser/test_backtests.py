"""The backtest flow in the browser: the form, live progress over /ws/, the result page
(chart markers, trades, CSV, analytics), compare, and one user never seeing another's runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import PHONE, finished_run, sign_in, strategy_from_template


@pytest.mark.usefixtures("celery_worker")
def test_run_a_backtest_from_the_form_and_read_its_result(
    page: Page, make_browser_user, nifty, screenshot
) -> None:
    who = make_browser_user()
    strategy = strategy_from_template(who.user)
    sign_in(page, who)
    page.goto(f"/backtests/new?strategy={strategy.pk}")
    page.get_by_label("Instrument (symbol)").fill("NIFTY")
    expect(page.get_by_test_id("data-range")).to_contain_text("Data: 1m bars from")
    expect(page.get_by_label("Charges")).to_have_value("india_futures")  # Indian by default
    page.get_by_label("Capital (₹)").fill("2000000")
    screenshot("backtest-form")
    page.get_by_role("button", name="Run backtest").click()

    expect(page).to_have_url(re.compile(r"/backtests/\d+$"))
    expect(page.locator(".badge")).to_have_text("done", timeout=120_000)
    chart = page.get_by_test_id("backtest-chart")
    expect(chart).to_have_attribute("data-marker-count", re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_text("Overlays: EMA 20, EMA 50")).to_be_visible()
    expect(page.get_by_text("TradingView")).to_be_visible()
    trades = page.get_by_role("table", name="Trades", exact=True)
    first = trades.locator("tbody tr").first
    expect(first).to_contain_text("signal")  # an exit reason
    first.click()
    expect(first).to_have_attribute("aria-selected", "true")
    screenshot("backtest-result")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download trades (CSV)").click()
    assert download.value.suggested_filename.endswith("-trades.csv")
    page.get_by_label("by hour of entry").check()
    expect(page.get_by_role("table", name="Trades by hour")).to_contain_text(":00")


def test_result_page_at_phone_width(page: Page, make_browser_user, nifty, screenshot) -> None:
    who = make_browser_user()
    run = finished_run(who.user, strategy_from_template(who.user), nifty)
    page.set_viewport_size(PHONE)
    sign_in(page, who, path=f"/backtests/{run.pk}")
    expect(page.get_by_role("heading", name=f"Backtest #{run.pk}")).to_be_visible()
    expect(page.get_by_test_id("backtest-chart")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways at 390 px ({width} px)"
    screenshot("backtest-result-phone")
    page.get_by_role("button", name="Menu").click()
    expect(page.get_by_role("link", name="Strategies")).to_be_visible()


def test_compare_two_runs(page: Page, make_browser_user, nifty, screenshot) -> None:
    who = make_browser_user()
    fast = finished_run(who.user, strategy_from_template(who.user), nifty)
    slow = finished_run(who.user, strategy_from_template(who.user, "rsi_mean_reversion"), nifty)
    sign_in(page, who, path="/backtests")
    page.get_by_label(f"Compare backtest {fast.pk}").check()
    page.get_by_label(f"Compare backtest {slow.pk}").check()
    page.get_by_role("button", name="Compare selected (2)").click()
    expect(page.get_by_role("heading", name="Compare 2 backtests")).to_be_visible()
    expect(page.get_by_test_id("compare-chart")).to_have_attribute("data-line-count", "2")
    table = page.get_by_role("table", name="Statistics compared")
    expect(table.locator("tr", has_text="Sharpe ratio")).to_be_visible()
    screenshot("compare")


def test_a_second_user_sees_none_of_the_first_users_data(
    page: Page, make_browser_user, nifty
) -> None:
    owner = make_browser_user(name="Owner")
    run = finished_run(owner.user, strategy_from_template(owner.user), nifty)
    other = make_browser_user(name="Other")
    sign_in(page, other, path="/backtests")
    expect(page.get_by_text("No backtests yet.")).to_be_visible()
    page.goto("/strategies")
    expect(page.get_by_text("No strategies yet")).to_be_visible()
    page.goto(f"/backtests/{run.pk}")
    expect(page.get_by_role("alert")).to_contain_text("does not exist or is not yours")


def test_live_updates_resume_after_the_socket_drops(page: Page, make_browser_user, nifty) -> None:
    """The page hears nothing while /ws/ is down, then re-reads over REST on reconnect."""
    who = make_browser_user()
    strategy = strategy_from_template(who.user)
    sockets = []

    def proxy(ws) -> None:
        sockets.append(ws)
        ws.connect_to_server()

    page.route_web_socket(re.compile(r"/ws/$"), proxy)
    sign_in(page, who, path="/backtests")
    expect(page.locator(".live")).to_have_text("● live")
    expect(page.get_by_text("No backtests yet.")).to_be_visible()

    sockets[-1].close(code=4000, reason="network")  # the link drops
    run = finished_run(who.user, strategy, nifty)  # finishes while nobody listens
    expect(page.locator(".live")).to_have_text("● live", timeout=20_000)  # back-off, reconnect
    expect(page.get_by_role("link", name=f"#{run.pk}")).to_be_visible()
    assert len(sockets) >= 2


def test_zero_trades_say_why_and_a_run_can_be_rerun_and_deleted(
    page: Page, make_browser_user, nifty, screenshot
) -> None:
    who = make_browser_user()
    # A long-only strategy with long trades refused: a finished run without a trade.
    run = finished_run(who.user, strategy_from_template(who.user), nifty, allow_long=False)
    sign_in(page, who, path=f"/backtests/{run.pk}")
    why = page.get_by_role("status").filter(has_text="No trades")
    expect(why).to_be_visible()
    expect(page.get_by_text("No closed trades.")).to_be_visible()
    expect(page.get_by_test_id("backtest-chart")).to_have_attribute("data-marker-count", "0")
    screenshot("backtest-no-trades")

    page.get_by_role("button", name="Re-run").click()
    expect(page).to_have_url(re.compile(rf"/backtests/(?!{run.pk}$)\d+$"))
    expect(page.get_by_role("link", name=f"#{run.pk}")).to_be_visible()  # "re-run of #N"

    page.goto(f"/backtests/{run.pk}")
    page.get_by_role("button", name="Delete").click()
    page.get_by_role("dialog").get_by_role("button", name="Delete").click()
    expect(page).to_have_url(re.compile(r"/backtests$"))
    expect(page.get_by_role("link", name=f"#{run.pk}", exact=True)).to_have_count(0)
