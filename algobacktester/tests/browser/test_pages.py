"""Dashboard, strategies, alerts, settings and market data in the browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

from playwright.sync_api import Page, expect

from .conftest import PHONE, finished_run, sign_in, strategy_from_template


def test_dashboard_shows_runs_rankings_data_and_alerts(
    page: Page, make_browser_user, nifty, screenshot
) -> None:
    who = make_browser_user()
    run = finished_run(who.user, strategy_from_template(who.user), nifty)
    sign_in(page, who)
    recent = page.get_by_role("region", name="Recent runs")
    expect(recent.get_by_role("link", name=f"#{run.pk} EMA 20/50 cross")).to_be_visible()
    best = page.get_by_role("region", name="Best strategies")
    expect(best.get_by_role("heading", name="By Sharpe")).to_be_visible()
    expect(best.get_by_role("link", name="EMA 20/50 cross").first).to_be_visible()
    expect(page.get_by_role("region", name="Data status")).to_contain_text("NIFTY")
    alerts = page.get_by_role("region", name=re.compile("Unread alerts"))
    # the run's in-app alert, in words: "Backtest #9 finished: −1.27%"
    expect(alerts).to_contain_text(f"Backtest #{run.pk} finished")
    screenshot("dashboard")
    alerts.get_by_role("button", name="Mark all read").click()
    expect(alerts).to_contain_text("Nothing new.")
    page.set_viewport_size(PHONE)
    screenshot("dashboard-phone")


def test_strategies_templates_import_export_delete(
    page: Page, make_browser_user, screenshot, tmp_path: Path
) -> None:
    who = make_browser_user()
    sign_in(page, who, path="/strategies")
    expect(page.get_by_text("No strategies yet")).to_be_visible()
    page.get_by_role("button", name="Use template RSI mean reversion").click()
    expect(page).to_have_url(re.compile(r"/strategies/\d+$"))  # the editor route

    page.goto("/strategies")
    table = page.get_by_role("table", name="Strategies")
    expect(table).to_contain_text("RSI mean reversion")
    screenshot("strategies")
    with page.expect_download() as download:
        table.get_by_role("button", name="Export").click()
    exported = tmp_path / "rsi.json"
    download.value.save_as(exported)
    doc = json.loads(exported.read_text())
    doc["name"] = "RSI imported"
    exported.write_text(json.dumps(doc))
    page.get_by_test_id("import-file").set_input_files(str(exported))
    expect(page.get_by_text("Imported “RSI imported”.")).to_be_visible()
    page.get_by_label("Search").fill("imported")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table.locator("tbody tr")).to_contain_text("RSI imported")  # not the stale list

    table.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("“RSI imported” and its versions will be deleted")
    dialog.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Deleted “RSI imported”.")).to_be_visible()
    expect(page.get_by_text("No strategy matches.")).to_be_visible()


def test_alert_rules_test_alert_history_and_preferences(
    page: Page, make_browser_user, nifty, screenshot
) -> None:
    who = make_browser_user()
    sign_in(page, who, path="/alerts")
    page.get_by_role("button", name="New rule").click()
    form = page.get_by_role("form", name="Alert rule")
    form.get_by_label("Rule name").fill("Runs done")
    form.get_by_label("Event").select_option("backtest.finished")
    form.get_by_role("button", name="Create rule").click()
    rules = page.get_by_role("table", name="Alert rules")
    expect(rules).to_contain_text("Backtest finished")

    page.get_by_role("button", name="New rule").click()
    form.get_by_label("Rule name").fill("NIFTY above EMA 20")
    form.get_by_label("Alert on").select_option("market")
    form.get_by_label("Instrument").fill("NIFTY")
    form.get_by_role("button", name="Create rule").click()
    expect(rules).to_contain_text("NIFTY 5m condition")

    rules.locator("tr", has_text="Runs done").get_by_role("button", name="Pause").click()
    expect(rules.locator("tr", has_text="Runs done")).to_contain_text("paused")

    test = page.get_by_role("form", name="Test alert")
    test.get_by_role("button", name="Send test alert").click()
    expect(test.get_by_role("status")).to_contain_text("In-app:")
    expect(page.get_by_role("table", name="Delivery history")).to_contain_text("Test alert")

    prefs = page.get_by_role("form", name="Channel preferences")
    prefs.get_by_label("Backtest failed by Email").check()
    prefs.get_by_role("button", name="Save channels").click()
    expect(prefs.get_by_role("status")).to_have_text("Saved.")

    phone = page.get_by_role("form", name="Send a verification code")
    phone.get_by_label("Phone number").fill("98123")
    phone.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("region", name="Phone for SMS")).to_contain_text("phone")
    screenshot("alerts")


def test_settings_profile_timezone_sessions_and_password(
    page: Page, make_browser_user, screenshot
) -> None:
    who = make_browser_user()
    sign_in(page, who, path="/settings")
    expect(page.get_by_role("region", name="Broker accounts")).to_contain_text(
        "No broker account yet"
    )
    sessions = page.get_by_role("table", name="Sessions")
    expect(sessions).to_contain_text("(this browser)")
    profile = page.get_by_role("form", name="Profile")
    profile.get_by_label("Name").fill("Asha K")
    profile.get_by_label("Timezone").select_option("Europe/London")
    profile.get_by_role("button", name="Save profile").click()
    expect(profile.get_by_role("status")).to_have_text("Saved.")
    screenshot("settings")

    password = page.get_by_role("form", name="Change password")
    password.get_by_label("Current password").fill("wrong-password")
    password.get_by_label("New password").fill("a-New-pass-2026")
    password.get_by_role("button", name="Change password").click()
    expect(password.get_by_role("alert").first).to_contain_text("not correct")
    password.get_by_label("Current password").fill(who.password)
    password.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed. Sign in with your new password.")).to_be_visible()
    sign_in(page, who.__class__(who.email, "a-New-pass-2026", who.user))


def test_market_data_is_for_staff(page: Page, make_browser_user, nifty, screenshot) -> None:
    trader = make_browser_user()
    sign_in(page, trader)
    expect(page.get_by_role("link", name="Market data")).to_have_count(0)
    page.get_by_role("button", name="Sign out", exact=True).click()

    staff = make_browser_user(staff=True, name="Ops")
    sign_in(page, staff, path="/marketdata")
    page.get_by_label("Search").fill("NIFTY")
    page.get_by_role("button", name="Data health of NIFTY").click()
    report = page.get_by_test_id("health-report")
    expect(report).to_contain_text("coverage")
    expect(page.get_by_role("table", name="Ingestion runs")).to_contain_text("synthetic")
    screenshot("marketdata")
