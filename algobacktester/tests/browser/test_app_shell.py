"""The app loads from Django at every client-side route, and signing up works end to end."""

from __future__ import annotations

import re
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect


def test_client_side_routes_load_the_app_and_api_paths_stay_json(app_server: str) -> None:
    for path in ("/", "/strategies/42", "/backtests/7", "/sweeps"):
        with urllib.request.urlopen(app_server + path) as res:
            body = res.read().decode()
            assert res.status == 200 and '<div id="root">' in body, path
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(app_server + "/api/nothing-here")
    assert caught.value.code == 404
    assert caught.value.headers["Content-Type"].startswith("application/json")


def test_sign_up_lands_on_the_dashboard(page: Page, screenshot) -> None:
    page.goto("/strategies/new")
    expect(page).to_have_url(re.compile(r"/signin\?next=%2Fstrategies%2Fnew$"))
    page.get_by_role("link", name="Create an account").click()
    screenshot("signup")
    page.get_by_label("Name").fill("Asha")
    page.get_by_label("Email").fill("asha@example.com")
    page.get_by_label("Password").fill("a-Strong-pass-42")
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Welcome, Asha")).to_be_visible()
    screenshot("dashboard-empty")
