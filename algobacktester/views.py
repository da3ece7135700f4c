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
from django.views.decorators.http import require_safe

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


@require_safe
def spa(request: HttpRequest, route: str = "") -> HttpResponse:
    path = app_index_path()
    if path is None:
        return HttpResponse(
            "The web app is not built: run `make run` (or `cd frontend && npm ci && npm run build`).",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    get_token(request)  # the CSRF cookie the app echoes on /api/auth/session POSTs
    response = HttpResponse(_read(path), content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # assets are hashed; the page must be fresh
    return response
