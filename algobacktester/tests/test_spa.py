"""Django answers the web app's page at / and every client-side path, keeps /api/, /admin/
and /static/ its own, and says how to build the app when it is missing."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings

from algobacktester import views

pytestmark = pytest.mark.django_db


@pytest.fixture
def built(tmp_path: Path):
    (tmp_path / "app").mkdir()
    (tmp_path / "collected").mkdir()  # STATIC_ROOT: whitenoise warns when it is absent
    (tmp_path / "app" / "index.html").write_text('<div id="root"></div>')
    with override_settings(STATICFILES_DIRS=[tmp_path], STATIC_ROOT=tmp_path / "collected"):
        views._cache.clear()
        yield tmp_path


@pytest.mark.parametrize("path", ["/", "/strategies/42", "/backtests/7", "/sweeps/3", "/x/y/z"])
def test_client_side_paths_get_the_app(built: Path, path: str) -> None:
    response = Client().get(path)
    assert response.status_code == 200
    assert '<div id="root">' in response.content.decode()
    assert response["Cache-Control"] == "no-cache"
    assert "csrftoken" in response.cookies  # echoed by the app's session POSTs


def test_the_servers_own_prefixes_are_not_the_app(built: Path) -> None:
    api = Client().get("/api/no-such-thing")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
    assert Client().get("/admin/").status_code == 302  # the admin's login
    assert Client().get("/api").status_code == 404


def test_a_rebuilt_page_is_served_without_a_restart(built: Path) -> None:
    assert "v1" not in Client().get("/").content.decode()
    index = built / "app" / "index.html"
    index.write_text('<div id="root"></div><!-- v1 -->')
    import os

    os.utime(index, (index.stat().st_atime, index.stat().st_mtime + 5))
    assert "v1" in Client().get("/").content.decode()


def test_a_missing_build_says_how_to_make_it(tmp_path: Path) -> None:
    (tmp_path / "collected").mkdir()
    with override_settings(STATICFILES_DIRS=[tmp_path], STATIC_ROOT=tmp_path / "collected"):
        response = Client().get("/strategies/1")
    assert response.status_code == 503
    assert "make run" in response.content.decode()


def test_the_page_answers_only_reads(built: Path) -> None:
    # A write to a page path is a JSON 404 (nothing serves it), also without a CSRF token.
    response = Client(enforce_csrf_checks=True).post("/strategies/1")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
