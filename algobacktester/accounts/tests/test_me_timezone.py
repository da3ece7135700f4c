"""PATCH /api/auth/me answers in the zone it sets."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_a_new_time_zone_applies_to_the_same_answer(auth_client: APIClient) -> None:
    before = auth_client.get("/api/auth/me").json()["date_joined"]
    assert before.endswith("+05:30")
    body = {"timezone": "America/New_York"}
    after = auth_client.patch("/api/auth/me", body, format="json").json()["date_joined"]
    assert after[-6:] in ("-05:00", "-04:00"), after
    assert auth_client.get("/api/auth/me").json()["date_joined"] == after
