"""Signing in and out in the browser, silent refresh, and the signed-out state."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from .conftest import DESKTOP, BrowserUser, sign_in

REFRESH = "**/api/auth/session/refresh"


def test_sign_in_survives_a_reload_and_sign_out_ends_it(
    page: Page, make_browser_user, screenshot
) -> None:
    who = make_browser_user()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot("signin")
    sign_in(page, who)
    page.reload()  # the access token was in memory only: the httpOnly cookie restores it
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["ab_refresh"]["httpOnly"] is True
    assert cookies["ab_refresh"]["sameSite"] == "Strict"
    assert page.evaluate("document.cookie").find("ab_refresh") == -1  # script cannot read it

    page.get_by_role("button", name="Sign out", exact=True).click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Signed out.")
    page.goto("/backtests")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fbacktests$"))


def test_a_wrong_password_says_so(page: Page, make_browser_user) -> None:
    who = make_browser_user()
    page.goto("/signin")
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").first).to_contain_text("Email or password is incorrect")


def test_sign_out_everywhere_signs_out_the_other_browser(
    browser: Browser, page: Page, app_server: str, make_browser_user
) -> None:
    who = make_browser_user()
    sign_in(page, who)
    other = browser.new_context(base_url=app_server, viewport=DESKTOP).new_page()
    sign_in(other, who)

    page.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("status")).to_have_text("Signed out on every device.")
    # The other browser's socket is closed by the server and its refresh is refused.
    # By its text: until the sign-out reaches it, the other page's dashboard shows several
    # "Loading…" statuses on a busy machine, and a role locator would match them all.
    expect(other.get_by_text("Your session ended. Sign in again to continue.")).to_be_visible(
        timeout=20_000
    )
    other.context.close()


def test_the_access_token_is_refreshed_before_it_expires(page: Page, make_browser_user) -> None:
    who: BrowserUser = make_browser_user()
    page.clock.install()
    sign_in(page, who)
    with page.expect_response(REFRESH) as refreshed:
        page.clock.fast_forward("14:30")  # access tokens live 15 minutes
    assert refreshed.value.status == 200
    page.get_by_role("link", name="Backtests").click()
    expect(page.get_by_role("heading", name="Backtests")).to_be_visible()
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()


def test_a_refused_refresh_shows_the_signed_out_page(page: Page, make_browser_user) -> None:
    from algobacktester.accounts.services import auth_logout_all

    who = make_browser_user()
    page.clock.install()
    sign_in(page, who)
    auth_logout_all(user=who.user)  # e.g. a password change on another device
    page.clock.fast_forward("14:30")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text(
        "Your session ended. Sign in again to continue."
    )


def test_sign_in_with_the_keyboard_only(page: Page, make_browser_user) -> None:
    who = make_browser_user()
    page.goto("/signin")
    page.get_by_label("Email").focus()
    page.keyboard.type(who.email)
    page.keyboard.press("Tab")
    page.keyboard.type(who.password)
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Sign out", exact=True)).to_be_visible()
    page.keyboard.press("Tab")  # the first stop is the skip link
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
