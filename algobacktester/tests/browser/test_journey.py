"""Issue 14's browser journey: ONE new user in ONE page, from the sign-up form to signing
out — build the EMA 20/50 cross in the editor by dragging nodes and wiring ports, backtest
it (markers on the chart, the trade list), sweep two of its parameters and open the heatmap,
create an alert rule, sign out. A screenshot per step: var/screenshots/journey-NN-*.png."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from algobacktester.accounts.models import User
from algobacktester.tests.browser.conftest import PASSWORD
from algobacktester.tests.browser.helpers import WIDE, build_ema_cross
from backtests.models import BacktestRun, BacktestSweep
from marketdata.services.demo import demo_candles_seed
from strategies.models import Strategy

# Five seeded trading days of NIFTY 1m bars ending here (the sweep test's data): the
# backtest form and the sweep form both default to the span the data covers, and the
# EMA 20/50 cross trades in it.
DATA_END = date(2026, 6, 30)
SIGN_OUT = {"name": "Sign out", "exact": True}


@pytest.fixture
def nifty_days(transactional_db: Any) -> None:
    demo_candles_seed(symbols=("NIFTY",), days=5, end=DATA_END, seed=7)


@pytest.mark.usefixtures("celery_worker", "nifty_days")
def test_sign_up_build_backtest_sweep_alert_sign_out(
    page: Page, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(WIDE)
    shot = _numbered(screenshot)
    email = f"journey-{os.getpid()}@example.com"

    # 1. Sign up through the form: it signs the new user in.
    page.goto("/")
    page.get_by_role("link", name="Create an account").click()
    form = page.get_by_role("form", name="Sign up")
    form.get_by_label("Name").fill("Asha Journey")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    shot("signup")
    form.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("button", **SIGN_OUT)).to_be_visible()
    user = User.objects.get(email=email)
    shot("signed-up")

    # 2. Build the EMA 20/50 cross by dragging nodes and wiring ports; save it valid.
    nav = page.get_by_role("navigation", name="Main")  # toasts carry links of the same names
    nav.get_by_role("link", name="Strategies").click()
    expect(page.get_by_text("No strategies yet")).to_be_visible()
    page.get_by_role("link", name="New strategy").click()
    expect(page).to_have_url(re.compile(r"/strategies/new$"))
    build_ema_cross(page)
    shot("editor-built")
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/strategies/\d+$"))
    expect(page.get_by_test_id("status")).to_contain_text("valid", timeout=20_000)
    expect(page.get_by_test_id("status")).not_to_contain_text("error")
    strategy = Strategy.objects.get(owner=user, name="EMA 20/50 cross")
    assert page.url.endswith(f"/strategies/{strategy.pk}")
    shot("editor-saved")

    # 3. Backtest it from the editor's link: the form picks this strategy.
    page.get_by_test_id("to-backtest").click()
    expect(page).to_have_url(re.compile(rf"/backtests/new\?strategy={strategy.pk}$"))
    page.get_by_label("Instrument (symbol)").fill("NIFTY")
    expect(page.get_by_test_id("data-range")).to_contain_text("Data: 1m bars from")
    page.get_by_label("Capital (₹)").fill("2000000")
    shot("backtest-form")
    page.get_by_role("button", name="Run backtest").click()

    # 4. The result: markers on the chart and the trade list.
    expect(page).to_have_url(re.compile(r"/backtests/\d+$"))
    expect(page.locator(".badge")).to_have_text("done", timeout=120_000)
    run = BacktestRun.objects.get(pk=int(page.url.rsplit("/", 1)[1]))
    assert run.strategy_id == strategy.pk  # the strategy built in the editor
    assert run.owner_id == user.pk
    assert run.strategy_version.graph["nodes"] == strategy.graph["nodes"]
    assert run.trades.exists()
    chart = page.get_by_test_id("backtest-chart")
    expect(chart).to_have_attribute("data-marker-count", re.compile(r"^[1-9]\d*$"))
    expect(page.get_by_text("Overlays: EMA 20, EMA 50")).to_be_visible()
    trades = page.get_by_role("table", name="Trades", exact=True)
    first = trades.locator("tbody tr").first
    expect(first).to_contain_text("signal")  # exits by the strategy's own cross-down
    first.click()
    expect(first).to_have_attribute("aria-selected", "true")
    shot("backtest-result")

    # 5. A 2-parameter sweep (2 × 2) of the same strategy, and its heatmap.
    page.get_by_role("link", name="EMA 20/50 cross").click()  # back to the editor
    expect(page).to_have_url(re.compile(rf"/strategies/{strategy.pk}$"))
    page.get_by_test_id("to-sweep").click()
    expect(page.get_by_test_id("sweep-strategy")).to_have_value(str(strategy.pk))
    page.get_by_test_id("sweep-add-param").select_option("ema_1.timeperiod")
    page.get_by_test_id("sweep-add-param").select_option("ema_2.timeperiod")
    page.get_by_test_id("grid-start-ema_1.timeperiod").fill("10")
    page.get_by_test_id("grid-stop-ema_1.timeperiod").fill("20")
    page.get_by_test_id("grid-step-ema_1.timeperiod").fill("10")
    row = page.get_by_test_id("grid-row-ema_2.timeperiod")
    row.get_by_role("combobox").select_option("list")
    page.get_by_test_id("grid-list-ema_2.timeperiod").fill("30, 50")
    expect(page.get_by_test_id("sweep-count")).to_have_text("4 combinations")
    page.get_by_test_id("sweep-metric").select_option("return_pct")
    page.get_by_test_id("sweep-instrument").fill("NIFTY")
    page.get_by_test_id("sweep-instrument").blur()  # fills the dates the data covers
    expect(page.get_by_test_id("sweep-end")).to_have_value(DATA_END.isoformat())
    shot("sweep-form")
    page.get_by_test_id("sweep-submit").click()
    expect(page).to_have_url(re.compile(r"/sweeps/\d+$"))
    expect(page.get_by_test_id("sweep-status")).to_contain_text("done", timeout=120_000)
    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_be_visible()
    expect(heatmap.locator("button.cell")).to_have_count(4)
    expect(page.get_by_test_id("sweep-table").locator("tbody tr")).to_have_count(4)
    sweep = BacktestSweep.objects.get(pk=int(page.url.rsplit("/", 1)[1]))
    assert (sweep.strategy_id, sweep.owner_id) == (strategy.pk, user.pk)
    shot("sweep-heatmap")

    # 6. An alert rule.
    nav.get_by_role("link", name="Alerts").click()
    page.get_by_role("button", name="New rule").click()
    rule = page.get_by_role("form", name="Alert rule")
    rule.get_by_label("Rule name").fill("Runs done")
    rule.get_by_label("Event").select_option("backtest.finished")
    rule.get_by_role("button", name="Create rule").click()
    rules = page.get_by_role("table", name="Alert rules")
    expect(rules.locator("tr", has_text="Runs done")).to_contain_text("Backtest finished")
    shot("alert-rule")

    # 7. Sign out: the sign-in page, and the app's pages are closed to this browser.
    page.get_by_role("button", **SIGN_OUT).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    page.goto("/backtests")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fbacktests$"))
    shot("signed-out")


def _numbered(screenshot: Callable[..., Any]) -> Callable[[str], None]:
    """``shot("signup")`` writes journey-01-signup.png, then journey-02-..., in step order."""
    count = 0

    def shot(name: str) -> None:
        nonlocal count
        count += 1
        screenshot(f"journey-{count:02d}-{name}")

    return shot
