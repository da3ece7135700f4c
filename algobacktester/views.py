"""The web app's page (docs/ui.md): every client-side route answers with the built index.html.

`make run` / `make test` build frontend/ into static/app/; the page is read from the static
files (the source tree, or STATIC_ROOT after collectstatic) and kept in memory until the
file changes. A missing build is a 503 that says how to make it, not a blank page.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt

from .api.exceptions import json_error_view

APP_INDEX = "app/index.html"
_cache: dict[Path, tuple[float, str]] = {}


def app_index_path() -> Path | None:
    found = finders.find(APP_INDEX)
    if found:
        return Path(found)
    collected = Path(settings.STATIC_ROOT) / APP_INDEX
    return collected if collected.is_file() else None


def _read(path: Path) -> str:
    mtime = path.stat().st_mtime
    cached = _cache.get(path)
    if cached is None or cached[0] != mtime:
        cached = (mtime, path.read_text(encoding="utf-8"))
        _cache[path] = cached
    return cached[1]


_not_found = json_error_view(404, "Not found.")


# Exempt from the CSRF check: it changes nothing, and a POST (or PUT, ...) to a path no API
# serves must be the JSON 404 every other unknown path gives, not a CSRF 403 page.
@csrf_exempt
def spa(request: HttpRequest, route: str = "") -> HttpResponse:
    if request.method not in ("GET", "HEAD"):
        return _not_found(request)
    path = app_index_path()
    if path is None:
        return render(request, "app_not_built.html", status=503)
    get_token(request)  # the CSRF cookie the app echoes on /api/auth/session POSTs
    response = HttpResponse(_read(path), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # assets are hashed; the page must be fresh
    return response
