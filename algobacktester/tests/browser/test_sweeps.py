"""Sweeps in the browser: a 2-parameter grid picked from the strategy's nodes runs on a
real worker with live progress, its heatmap opens, and "backtest this combination" starts a
run of the chosen parameters and lands on its result page."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from algobacktester.tests.browser.conftest import PHONE, BrowserUser
from backtests.models import BacktestRun, BacktestSweep
from engine.graph import example_documents
from marketdata.services.demo import demo_candles_seed
from strategies.services import strategy_create

DATA_END = date(2026, 6, 30)


@pytest.fixture
def ema_strategy(signed_in: BrowserUser) -> Any:
    demo_candles_seed(symbols=("NIFTY",), days=5, end=DATA_END, seed=7)
    return strategy_create(
        owner=signed_in.user, name="EMA cross", graph=example_documents()["ema_20_50"]
    )


def test_a_two_parameter_sweep_its_heatmap_and_backtest_this_combination(
    page: Page,
    signed_in: BrowserUser,
    ema_strategy: Any,
    celery_worker: None,
    screenshot: Callable[..., Any],
) -> None:
    page.goto(f"/strategies/{ema_strategy.pk}")  # the editor's Sweep link picks the strategy
    page.get_by_test_id("to-sweep").click()
    expect(page.get_by_test_id("sweep-strategy")).to_have_value(str(ema_strategy.pk))
    page.get_by_test_id("sweep-add-param").select_option("ma_fast.timeperiod")
    page.get_by_test_id("sweep-add-param").select_option("ma_slow.timeperiod")
    page.get_by_test_id("grid-start-ma_fast.timeperiod").fill("10")
    page.get_by_test_id("grid-stop-ma_fast.timeperiod").fill("20")
    page.get_by_test_id("grid-step-ma_fast.timeperiod").fill("5")
    row = page.get_by_test_id("grid-row-ma_slow.timeperiod")
    row.get_by_role("combobox").select_option("list")
    page.get_by_test_id("grid-list-ma_slow.timeperiod").fill("30, 50")
    expect(page.get_by_test_id("sweep-count")).to_have_text("6 combinations")
    page.get_by_test_id("sweep-constraint").fill("ma_fast.timeperiod < ma_slow.timeperiod")
    expect(page.get_by_test_id("sweep-count")).to_have_text("6 combinations")
    page.get_by_test_id("sweep-metric").select_option("return_pct")
    page.get_by_test_id("sweep-instrument").fill("NIFTY")
    page.get_by_test_id("sweep-instrument").blur()  # fills the dates the data covers
    expect(page.get_by_test_id("sweep-end")).to_have_value("2026-06-30")
    screenshot("sweep-form")
    page.get_by_test_id("sweep-submit").click()

    expect(page).to_have_url(re.compile(r"/sweeps/\d+$"))
    sweep_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_test_id("sweep-status")).to_contain_text("done", timeout=120_000)
    heatmap = page.get_by_test_id("heatmap")
    expect(heatmap).to_be_visible()
    expect(heatmap.locator("button.cell")).to_have_count(6)
    expect(page.get_by_test_id("sweep-table").locator("tbody tr")).to_have_count(6)
    screenshot("sweep-heatmap")

    # The table sorts by any column, both ways.
    page.get_by_test_id("sort-ma_slow.timeperiod").click()
    first = page.get_by_test_id("sweep-table").locator("tbody tr").first.locator("td").nth(1)
    expect(first).to_have_text("50")
    page.get_by_test_id("sort-ma_slow.timeperiod").click()
    expect(first).to_have_text("30")

    page.get_by_test_id("cell-15-30").click()
    combo = page.get_by_test_id("combination")
    expect(combo).to_contain_text("ma_fast.timeperiod = 15")
    expect(combo).to_contain_text("ma_slow.timeperiod = 30")
    page.get_by_test_id("backtest-combination").click()
    expect(page).to_have_url(re.compile(r"/backtests/\d+$"))

    run = BacktestRun.objects.get(pk=int(page.url.rsplit("/", 1)[1]))
    _wait_finished(run)  # a run still writing on the worker would block the database flush
    sweep = BacktestSweep.objects.get(pk=sweep_id)
    params = {n["id"]: n["params"] for n in run.strategy_version.graph["nodes"]}
    assert params["ma_fast"]["timeperiod"] == 15
    assert params["ma_slow"]["timeperiod"] == 30
    assert run.strategy_id == ema_strategy.pk
    assert run.instrument_id == sweep.instrument_id
    assert (run.start, run.end) == (sweep.start, sweep.end)
    # The same run settings (the capital may be re-spelt: "500000.00" for "500000").
    assert Decimal(run.config.pop("capital")) == Decimal(sweep.config.pop("capital"))
    assert run.config == sweep.config

    # Back on the sweep, the strategy is now a version ahead of what the sweep ran.
    page.goto(f"/sweeps/{sweep_id}")
    expect(page.get_by_test_id("combination-newer")).to_contain_text("it is at v2")
    page.set_viewport_size(PHONE)  # the heatmap and table scroll inside their boxes
    page.reload()
    expect(page.get_by_test_id("heatmap")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the sweep page scrolls sideways ({width} px)"
    screenshot("sweep-phone")


def _wait_finished(run: BacktestRun, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while run.status in ("queued", "running"):
        assert time.monotonic() < deadline, f"run {run.pk} still {run.status}"
        time.sleep(0.5)
        run.refresh_from_db()


def test_the_sweep_form_names_bad_ranges_and_fits_a_phone(
    page: Page, ema_strategy: Any, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/sweeps")
    page.get_by_test_id("sweep-strategy").select_option(label="EMA cross (v1)")
    page.get_by_test_id("sweep-add-param").select_option("ma_fast.timeperiod")
    page.get_by_test_id("grid-start-ma_fast.timeperiod").fill("30")
    page.get_by_test_id("grid-stop-ma_fast.timeperiod").fill("10")
    expect(page.get_by_test_id("sweep-count")).to_contain_text(
        "grid.ma_fast.timeperiod: from must be at most to"
    )
    expect(page.get_by_test_id("sweep-submit")).to_be_disabled()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the sweeps page scrolls sideways ({width} px)"
    screenshot("sweep-form-phone")
