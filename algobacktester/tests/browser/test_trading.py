"""Trading in the browser: connect a paper account in Settings, place a market order from the
ticket (a double click places it once), see it filled and its position, square the position
off, and find the round trip in the trade analytics."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from .conftest import DESKTOP, PHONE, sign_in


@pytest.fixture
def testco(transactional_db: Any) -> Any:
    """An equity (lot size 1) with one-minute bars up to the last whole minute, committed so
    the server's paper broker has a fresh quote (as trades/tests/conftest.py makes them)."""
    from marketdata.models import Candle, Instrument

    instrument = Instrument.objects.create(
        exchange="NSE",
        segment="NSE_EQ",
        symbol="TESTCO",
        security_id="2885",
        kind="equity",
        lot_size=1,
        tick_size="0.05",
    )
    end = timezone.now().replace(second=0, microsecond=0)
    Candle.objects.bulk_create(
        Candle(
            instrument=instrument,
            timeframe="1m",
            ts=end - timedelta(minutes=i),
            open=100,
            high=100.5,
            low=99.5,
            close=100,
            volume=100,
        )
        for i in range(30, 0, -1)
    )
    return instrument


def test_paper_trade_from_settings_to_analytics(
    page: Page, make_browser_user, testco, screenshot
) -> None:
    from trades.models import BrokerAccount, Order

    who = make_browser_user()
    sign_in(page, who, path="/settings")

    # Connect a paper account.
    page.get_by_label("Starting balance (₹)").fill("500000")
    page.get_by_role("button", name="Connect", exact=True).click()
    accounts = page.get_by_role("list", name="Broker accounts")
    expect(accounts).to_contain_text("Paper")
    expect(accounts).to_contain_text("5,00,000.00")
    screenshot("trading-accounts")

    # A Dhan connect the server refuses (live brokers are off here) shows the server's reason.
    page.get_by_label("Broker", exact=True).select_option("dhan")
    page.get_by_label("Client id").fill("1000000001")
    page.get_by_label("Access token").fill("not-a-token")
    page.get_by_role("button", name="Connect", exact=True).click()
    # The message stands beside the field the server named (broker), not only in the banner.
    form = page.get_by_role("form", name="Connect an account")
    expect(form.locator(".field-error")).to_contain_text("dhan")
    expect(accounts.get_by_role("listitem")).to_have_count(1)
    account = BrokerAccount.objects.get(owner=who.user)
    # The server process keeps the default 09:15–15:30 IST rule; the test runs at any hour.
    BrokerAccount.objects.filter(pk=account.pk).update(risk={"trading_hours": None})

    # Place a delivery market order (no intraday auto square-off at any hour): a double
    # click sends one submission, so one order.
    page.get_by_role("link", name="Trading").click()
    page.get_by_label("Instrument").fill("TESTCO")
    page.get_by_label("Product").select_option("CNC")
    page.get_by_role("button", name="Place buy order").dblclick()
    expect(page.get_by_role("status").filter(has_text="filled")).to_be_visible()
    orders = page.get_by_role("table", name="Orders")
    expect(orders.get_by_role("row").filter(has_text="TESTCO")).to_have_count(1)
    expect(orders).to_contain_text("filled")
    assert Order.objects.filter(account=account).count() == 1
    page.get_by_label("Status filter").select_option("rejected")
    expect(page.get_by_text("No orders match these filters.")).to_be_visible()
    page.get_by_label("Status filter").select_option("filled")
    expect(orders.get_by_role("row").filter(has_text="TESTCO")).to_have_count(1)

    # Its detail: the fill and the audit trail.
    orders.get_by_role("button", name="Details").click()
    expect(page.get_by_role("table", name="Fills").get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("list", name="Audit trail")).not_to_be_empty()
    screenshot("trading-orders")
    _fits_a_phone(page, screenshot, "trading-orders-phone")

    # The position, squared off after a confirmation.
    page.get_by_role("navigation", name="Trading").get_by_role("link", name="Positions").click()
    positions = page.get_by_role("table", name="Positions")
    expect(positions.get_by_role("row").filter(has_text="TESTCO")).to_contain_text("CNC")
    screenshot("trading-positions")
    _fits_a_phone(page, screenshot, "trading-positions-phone")
    positions.get_by_role("button", name="Square off", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("Square off TESTCO?")
    dialog.get_by_role("button", name="Square off").click()
    expect(page.get_by_text("Square-off sent: 1 order(s).")).to_be_visible()
    expect(page.get_by_text("No open positions.")).to_be_visible()
    assert Order.objects.filter(account=account, side="SELL", status="filled").count() == 1

    # The round trip in the analytics, readable at phone width.
    page.get_by_role("navigation", name="Trading").get_by_role("link", name="Analytics").click()
    summary = page.get_by_role("definition").first
    expect(summary).to_have_text("1")
    expect(page.get_by_role("table", name="Trades by day").get_by_role("row")).to_have_count(2)
    page.get_by_label("by instrument").check()
    expect(page.get_by_role("table", name="Trades by instrument")).to_contain_text("TESTCO")
    _fits_a_phone(page, screenshot, "trading-analytics-phone")


def _fits_a_phone(page: Page, screenshot, name: str) -> None:
    """At 390 px the page does not scroll sideways (wide tables scroll inside their frame)."""
    page.set_viewport_size(PHONE)
    screenshot(name)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page scrolls sideways at 390 px ({width})"
    page.set_viewport_size(DESKTOP)
