"""The strategy editor in the browser: a user who never writes JSON builds the EMA 20/50
cross by dragging nodes from the palette and wiring ports with the mouse, adds exits and
risk, saves and gets a valid strategy; wrong connections are refused while dragged;
validation errors show on the node they name; versions diff; the phone layout works."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from playwright.sync_api import Page, expect

from algobacktester.tests.browser.conftest import PHONE, BrowserUser
from algobacktester.tests.browser.helpers import WIDE, build_ema_cross, connect, drop
from engine.graph import example_documents, validate
from strategies.models import Strategy
from strategies.services import strategy_create


def test_build_the_ema_cross_by_dragging_and_save_it_valid(
    page: Page, signed_in: BrowserUser, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/strategies/new")
    build_ema_cross(page)

    page.get_by_test_id("tab-risk").click()
    page.get_by_test_id("risk-stop_loss-value").fill("1")
    page.get_by_test_id("risk-stop_loss-unit").select_option("percent")
    page.get_by_test_id("risk-target-value").fill("2")
    page.get_by_test_id("risk-target-unit").select_option("percent")
    page.get_by_test_id("risk-max_trades_per_day").fill("3")
    page.get_by_test_id("risk-daily_max_loss").fill("5000")
    page.get_by_test_id("risk-square_off").fill("15:15")
    screenshot("editor-built")

    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/strategies/\d+$"))
    expect(page.get_by_test_id("status")).to_contain_text("valid", timeout=20_000)
    expect(page.get_by_test_id("status")).not_to_contain_text("error")
    screenshot("editor-saved")

    strategy = Strategy.objects.get(owner=signed_in.user, name="EMA 20/50 cross")
    graph = strategy.graph
    assert validate(graph) == []
    assert {n["id"]: n["params"] for n in graph["nodes"]}["ema_2"] == {
        "indicator": "EMA",
        "timeperiod": 50,
    }
    assert {"from": "cond_1.out", "to": "go_long_1.when"} in graph["edges"]
    assert graph["settings"]["risk"] == {
        "stop_loss": {"value": 1, "unit": "percent"},
        "target": {"value": 2, "unit": "percent"},
        "max_trades_per_day": 3,
        "daily_max_loss": 5000,
        "square_off": "15:15",
    }
    # Canvas positions persist in the nodes' ui fields.
    positions = {n["id"]: n["ui"] for n in graph["nodes"]}
    assert positions["buy_1"]["x"] > positions["go_long_1"]["x"] > positions["ema_1"]["x"]


def test_a_wrong_connection_is_refused_and_undo_redo_work(
    page: Page, signed_in: BrowserUser, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/strategies/new")
    drop(page, "palette-ind-EMA", 40, 40, search="EMA")
    drop(page, "palette-entry", 420, 40)
    drop(page, "palette-buy", 740, 40)
    # A number into a bool input, an event into an event input of the wrong node kind...
    connect(page, "ema_1.out", "go_long_1.when")
    expect(page.get_by_test_id("refusal")).to_contain_text(
        "go_long_1.when expects bool, but ema_1.out is number"
    )
    screenshot("editor-refused")
    connect(page, "go_long_1.fire", "buy_1.trigger")  # ...while the right one is accepted
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    expect(page.locator(".react-flow__edge")).to_have_attribute(
        "data-testid", "rf__edge-go_long_1.fire->buy_1.trigger"
    )

    page.locator(".react-flow__pane").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")  # the edge goes
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.keyboard.press("Control+z")  # then the last node dropped
    expect(page.get_by_test_id("node-buy_1")).to_have_count(0)
    page.keyboard.press("Control+Shift+z")
    page.keyboard.press("Control+Shift+z")
    expect(page.get_by_test_id("node-buy_1")).to_be_visible()
    expect(page.locator(".react-flow__edge")).to_have_count(1)
    # Select the edge with the keyboard (edges are focusable) and delete it; undo brings it back.
    page.locator(".react-flow__edge").focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Delete")
    expect(page.locator(".react-flow__edge")).to_have_count(0)
    page.keyboard.press("Control+z")
    expect(page.locator(".react-flow__edge")).to_have_count(1)


def test_validation_errors_show_on_their_node_and_versions_diff(
    page: Page, signed_in: BrowserUser, screenshot: Callable[..., Any]
) -> None:
    graph = example_documents()["ema_20_50"]
    # A draft whose exit condition lost its second operand: the server names cross_down.
    graph["edges"] = [e for e in graph["edges"] if e["to"] != "cross_down.b"]
    strategy = strategy_create(owner=signed_in.user, name="Draft cross", graph=graph)
    page.set_viewport_size(WIDE)
    page.goto(f"/strategies/{strategy.pk}")
    problems = page.get_by_test_id("problems-cross_down")
    expect(problems).to_contain_text("inputs.b: required input is not connected")
    expect(page.get_by_test_id("node-cross_down")).to_have_class(re.compile("sn-error"))
    expect(page.get_by_test_id("problems-ma_fast")).to_have_count(0)
    screenshot("editor-validation-error")

    # Fixing it in the inspector (keyboard-usable wiring) and saving clears the error...
    page.get_by_test_id("node-cross_down").click()
    page.get_by_test_id("wire-b").select_option("ma_slow.out")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("status")).to_contain_text("Saved as version 2")
    expect(page.get_by_test_id("problems-cross_down")).to_have_count(0)

    # ...and a parameter out of range is an error on that node after the save.
    page.get_by_test_id("node-ma_slow").click()
    page.get_by_test_id("param-timeperiod").fill("0")
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("problems-ma_slow")).to_contain_text(
        "params.timeperiod: must be between"
    )
    expect(page.get_by_test_id("status")).to_contain_text("error")

    page.get_by_test_id("tab-versions").click()
    page.get_by_test_id("diff-a").select_option("2")
    page.get_by_test_id("diff-b").select_option("3")
    diff = page.get_by_test_id("diff")
    expect(diff).to_contain_text("ma_slow")
    expect(diff).to_contain_text("params.timeperiod")
    page.get_by_test_id("diff-a").select_option("1")
    page.get_by_test_id("diff-b").select_option("2")
    expect(diff).to_contain_text("+ edge ma_slow.out->cross_down.b")
    screenshot("editor-versions")


def test_the_editor_works_on_a_phone(
    page: Page, signed_in: BrowserUser, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(PHONE)
    page.goto("/strategies/new")
    toggle = page.get_by_test_id("palette-toggle")
    expect(toggle).to_have_text("+ Add node")  # the palette starts collapsed
    expect(page.get_by_test_id("palette-search")).to_have_count(0)
    toggle.click()
    page.get_by_test_id("palette-search").fill("RSI")
    page.get_by_test_id("palette-ind-RSI").click()  # a press adds it in view
    expect(page.get_by_test_id("node-rsi_1")).to_be_visible()
    expect(page.get_by_test_id("palette-search")).to_have_count(0)  # and closes the palette
    expect(page.get_by_test_id("param-timeperiod")).to_have_value("14")
    screenshot("editor-phone", full_page=True)


def test_a_new_strategy_can_start_from_a_template(
    page: Page, signed_in: BrowserUser, screenshot: Callable[..., Any]
) -> None:
    page.set_viewport_size(WIDE)
    page.goto("/strategies/new")
    page.get_by_test_id("template").select_option(label="MACD momentum")
    expect(page.get_by_test_id("strategy-name")).to_have_value("MACD momentum")
    expect(page.locator(".react-flow__node").first).to_be_visible()
    page.get_by_test_id("save").click()
    expect(page).to_have_url(re.compile(r"/strategies/\d+$"))
    expect(page.get_by_test_id("status")).to_contain_text("valid")
    screenshot("editor-template")
    strategy = Strategy.objects.get(owner=signed_in.user, name="MACD momentum")
    assert validate(strategy.graph) == []
    assert all(isinstance(n["ui"]["x"], int) for n in strategy.graph["nodes"])
