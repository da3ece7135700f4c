"""Steps shared by the browser tests: the editor's mouse gestures and the EMA 20/50 cross
built with them (test_editor.py checks the build in detail, test_journey.py chains it)."""

from __future__ import annotations

from playwright.sync_api import Locator, Page, expect

WIDE = {"width": 1600, "height": 1000}

# The EMA 20/50 cross as the editor names what is dropped: (from port, to port).
EMA_CROSS_EDGES = (
    ("ema_1.out", "cond_1.a"),
    ("ema_2.out", "cond_1.b"),
    ("ema_1.out", "cond_2.a"),
    ("ema_2.out", "cond_2.b"),
    ("cond_1.out", "go_long_1.when"),
    ("cond_2.out", "exit_long_1.when"),
    ("go_long_1.fire", "buy_1.trigger"),
    ("exit_long_1.fire", "sell_1.trigger"),
)


def handle(page: Page, node: str, port: str, side: str) -> Locator:
    return page.locator(
        f'[data-testid="node-{node}"] .react-flow__handle.{side}[data-handleid="{port}"]'
    )


def connect(page: Page, src: str, dst: str) -> None:
    """Drag from an output port to an input port with the mouse, as a person would."""
    (a_node, a_port), (b_node, b_port) = src.split("."), dst.split(".")
    a = handle(page, a_node, a_port, "source").bounding_box()
    b = handle(page, b_node, b_port, "target").bounding_box()
    assert a and b, f"ports {src} / {dst} not on screen"
    page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
    page.mouse.down()
    page.mouse.move(b["x"] + b["width"] / 2 - 20, b["y"] + b["height"] / 2, steps=8)
    page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
    page.mouse.up()


def drop(page: Page, test_id: str, x: int, y: int, search: str = "") -> None:
    """Drag a palette item onto the canvas at (x, y) from its top-left corner."""
    page.get_by_test_id("palette-search").fill(search)
    page.get_by_test_id(test_id).drag_to(
        page.get_by_test_id("canvas"), target_position={"x": x, "y": y}
    )


def edges(page: Page) -> int:
    return page.locator(".react-flow__edge").count()


def build_ema_cross(page: Page, name: str = "EMA 20/50 cross") -> None:
    """On /strategies/new (wide viewport), drop the eight nodes of the EMA 20/50 cross from
    the palette and wire their ports with the mouse; the strategy is not saved yet."""
    page.get_by_test_id("strategy-name").fill(name)
    # Inputs: two EMAs of the close (an unwired price input reads the bars' close).
    for n, (y, period) in enumerate(((20, "20"), (230, "50")), start=1):
        drop(page, "palette-ind-EMA", 30, y, search="EMA")
        expect(page.get_by_test_id(f"node-ema_{n}")).to_be_visible()
        page.get_by_test_id("param-timeperiod").fill(period)
    drop(page, "palette-condition", 290, 20)
    drop(page, "palette-condition", 290, 230)
    page.get_by_test_id("param-op").select_option("crosses_below")
    drop(page, "palette-entry", 550, 20)
    drop(page, "palette-exit", 550, 230)
    drop(page, "palette-buy", 810, 20)
    drop(page, "palette-sell", 810, 230)
    expect(page.locator(".react-flow__node")).to_have_count(8)
    expect(page.get_by_test_id("node-ema_1")).to_contain_text("EMA(20)")
    expect(page.get_by_test_id("node-ema_2")).to_contain_text("EMA(50)")
    expect(page.get_by_test_id("node-cond_2")).to_contain_text("crosses below")

    for src, dst in EMA_CROSS_EDGES:
        before = edges(page)
        connect(page, src, dst)
        expect(page.locator(".react-flow__edge")).to_have_count(before + 1)
