"""/api/docs works without the internet: Swagger UI's assets are served by this server."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_docs_page_references_no_external_host(api_client: APIClient) -> None:
    html = api_client.get("/api/docs").content.decode()
    external = re.findall(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>]*""", html)
    assert external == []
    assets = re.findall(r"""(?:src|href)="([^"]+)\"""", html)
    local = [a for a in assets if "drf_spectacular_sidecar/swagger-ui-dist/" in a]
    assert any(a.endswith("swagger-ui-bundle.js") for a in local), assets
    for asset in local:
        path = asset.split("/static/", 1)[1]
        assert finders.find(path), f"{path} is not a static file of this project"
