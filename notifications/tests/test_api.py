"""The notifications API: send-now, rules CRUD, history, preferences, phone verification."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from algobacktester.accounts.tokens import token_pair
from notifications.channels.outbox import outbox_messages
from notifications.models import AlertRule, Delivery, NotificationPreference, PhoneVerification

from .fakes import FakeTwilio
from .support import PHONE, override, verify_phone

pytestmark = pytest.mark.django_db
URL = "/api/notifications"


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(user)['access']}")
    return client


def _fields(response) -> list[str | None]:
    return [e["field"] for e in response.json()["errors"]]


EVENT_RULE = {"name": "Fills", "kind": "event", "event_type": "order.filled", "channels": ["push"]}


# --- send now --------------------------------------------------------------------------------


def test_send_now_queues_and_sends_on_each_channel(
    auth_client, notif_settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.post(
            f"{URL}/alerts", {"message": "Check NIFTY", "channels": ["email", "push"]}
        )
    assert response.status_code == 202
    assert sorted(d["channel"] for d in response.json()["deliveries"]) == ["email", "push"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert outbox_messages("email")[0]["body"] == "Check NIFTY"


def test_send_now_with_a_repeated_dedupe_key_sends_once(auth_client, notif_settings) -> None:
    body = {"message": "once", "channels": ["push"], "dedupe_key": "abc"}
    first = auth_client.post(f"{URL}/alerts", body).json()["deliveries"]
    second = auth_client.post(f"{URL}/alerts", body).json()["deliveries"]
    assert [d["id"] for d in first] == [d["id"] for d in second]
    assert Delivery.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"message": "x", "channels": ["pigeon"]}, "channels"),
        ({"message": "x", "channels": "email"}, "channels"),
        ({"message": "x", "channels": []}, "channels"),
        ({"message": ["x"], "channels": ["push"]}, "message"),
        ({"message": "x" * 1001, "channels": ["push"]}, "message"),
        ({"message": "x", "channels": ["sms"]}, "channels"),  # no verified phone
        ({"message": "x", "channels": ["webhook"]}, "channels"),  # no webhook URL
    ],
)
def test_send_now_rejects_bad_input(auth_client, notif_settings, body, field) -> None:
    response = auth_client.post(f"{URL}/alerts", body)
    assert response.status_code == 400
    assert any(f and f.split(".")[0] == field for f in _fields(response))
    assert not Delivery.objects.exists()


def test_a_body_that_is_not_an_object_is_a_400(auth_client) -> None:
    response = auth_client.post(f"{URL}/alerts", ["message"])
    assert response.status_code == 400 and _fields(response) == [None]
    assert not Delivery.objects.exists() and not AlertRule.objects.exists()


def test_send_now_over_the_daily_quota_is_a_429_naming_channels(auth_client, notif_settings):
    override(notif_settings, DAILY_QUOTA={"sms": 1, "email": 10})
    verify_phone(auth_client.user)
    ok = auth_client.post(f"{URL}/alerts", {"message": "1", "channels": ["sms"]})
    from notifications import services

    services.delivery_send(delivery_id=ok.json()["deliveries"][0]["id"])
    response = auth_client.post(f"{URL}/alerts", {"message": "2", "channels": ["sms"]})
    assert response.status_code == 429
    assert response.json()["errors"] == [
        {"field": "channels", "message": "daily SMS quota reached", "code": "quota_exceeded"}
    ]


def test_unauthenticated_requests_are_refused(api_client) -> None:
    for path in ("alerts", "history", "rules", "preferences"):
        response = api_client.get(f"{URL}/{path}")
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# --- rules -----------------------------------------------------------------------------------------


def test_rule_crud_and_privileged_fields_are_ignored(auth_client, make_user) -> None:
    other = make_user()
    response = auth_client.post(
        f"{URL}/rules",
        {**EVENT_RULE, "owner": other.pk, "id": 999, "last_fired_at": "2020-01-01T00:00:00Z"},
    )
    assert response.status_code == 201, response.json()
    rule = AlertRule.objects.get()
    assert rule.owner == auth_client.user and rule.pk != 999 and rule.last_fired_at is None
    rid = rule.pk
    assert auth_client.get(f"{URL}/rules").json()["results"][0]["id"] == rid
    patched = auth_client.patch(
        f"{URL}/rules/{rid}",
        {"cooldown_seconds": 300, "active_from": "09:15", "active_to": "15:30"},
    )
    assert patched.status_code == 200 and patched.json()["cooldown_seconds"] == 300
    assert auth_client.delete(f"{URL}/rules/{rid}").status_code == 204
    assert auth_client.get(f"{URL}/rules/{rid}").status_code == 404
    assert not AlertRule.objects.filter(pk=rid).exists()


def test_alerts_without_message_creates_a_rule(auth_client) -> None:
    response = auth_client.post(f"{URL}/alerts", EVENT_RULE)
    assert response.status_code == 201 and response.json()["event_type"] == "order.filled"


def test_other_users_rules_are_404(auth_client, make_user) -> None:
    other = make_user()
    rule = AlertRule.objects.create(
        owner=other, name="theirs", kind="event", event_type="order.filled", channels=["push"]
    )
    for method in ("get", "patch", "delete"):
        assert getattr(auth_client, method)(f"{URL}/rules/{rule.pk}").status_code == 404
    assert auth_client.get(f"{URL}/rules/{2**70}").status_code == 404
    assert auth_client.get(f"{URL}/rules").json()["count"] == 0
    assert AlertRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"cooldown_seconds": 10**12}, "cooldown_seconds"),
        ({"cooldown_seconds": "soon"}, "cooldown_seconds"),
        ({"active_from": "25:99", "active_to": "10:00"}, "active_from"),
        ({"active_from": "09:15"}, "active_to"),
        ({"active_from": "09:15", "active_to": "09:15"}, "active_to"),
        ({"event_type": "order.teleported"}, "event_type"),
        ({"event_type": "ingestion.failed"}, "event_type"),  # operators only
        ({"channels": ["email", "email"]}, "channels"),
        ({"channels": ["sms"]}, "channels"),
        ({"kind": "weather"}, "kind"),
        ({"condition": {"nodes": []}}, "condition"),
        ({"webhook_url": "ftp://example.com/hook"}, "webhook_url"),
        ({"name": ""}, "name"),
    ],
)
def test_rule_validation_names_the_field(auth_client, changes, field) -> None:
    response = auth_client.post(f"{URL}/rules", {**EVENT_RULE, **changes})
    assert response.status_code == 400 and field in _fields(response), response.json()
    assert not AlertRule.objects.exists()


def test_staff_may_subscribe_to_ingestion_failures(auth_client) -> None:
    auth_client.user.is_staff = True
    auth_client.user.save()
    response = auth_client.post(f"{URL}/rules", {**EVENT_RULE, "event_type": "ingestion.failed"})
    assert response.status_code == 201 and response.json()["event_type"] == "ingestion.failed"
    rule = AlertRule.objects.get()
    assert (rule.owner, rule.event_type) == (auth_client.user, "ingestion.failed")


def test_a_rule_webhook_secret_is_shown_once(auth_client) -> None:
    body = {**EVENT_RULE, "channels": ["webhook"], "webhook_url": "https://hooks.example.com/a"}
    created = auth_client.post(f"{URL}/rules", body).json()
    assert created["webhook_secret"].startswith("whsec_")
    rid = created["id"]
    assert auth_client.get(f"{URL}/rules/{rid}").json()["webhook_secret"] is None
    assert created["webhook_secret"] not in AlertRule.objects.get().webhook_secret
    rotated = auth_client.patch(f"{URL}/rules/{rid}", {"rotate_webhook_secret": True}).json()
    assert rotated["webhook_secret"] not in (None, created["webhook_secret"])


def test_kind_cannot_change(auth_client) -> None:
    rid = auth_client.post(f"{URL}/rules", EVENT_RULE).json()["id"]
    response = auth_client.patch(f"{URL}/rules/{rid}", {"kind": "market"})
    assert response.status_code == 400 and _fields(response) == ["kind"]
    assert AlertRule.objects.get(pk=rid).kind == "event"


# --- history --------------------------------------------------------------------------------------------


def test_history_is_scoped_filtered_and_paginated(auth_client, make_user, notif_settings) -> None:
    rule = AlertRule.objects.create(
        owner=auth_client.user, name="r", kind="event", event_type="order.filled", channels=["push"]
    )
    mine = {"owner": auth_client.user, "event_type": "x", "subject": "s", "body": "b"}
    Delivery.objects.create(**mine, channel="push", dedupe_key="1", rule=rule, status="sent")
    Delivery.objects.create(
        **mine, channel="email", dedupe_key="2", status="failed", reason="daily email quota reached"
    )
    Delivery.objects.create(
        owner=make_user(), event_type="x", subject="s", body="b", channel="push", dedupe_key="3"
    )
    get = lambda q="": auth_client.get(f"{URL}/history{q}").json()  # noqa: E731
    assert get()["count"] == 2
    assert [d["channel"] for d in get("?channel=email")["results"]] == ["email"]
    assert get("?status=failed")["results"][0]["reason"] == "daily email quota reached"
    assert get(f"?rule={rule.pk}")["count"] == 1
    assert get("?page_size=1")["next"] is not None
    for bad, field in [
        ("?channel=fax", "channel"),
        ("?status=lost", "status"),
        ("?rule=abc", "rule"),
        (f"?rule={2**70}", "rule"),
    ]:
        response = auth_client.get(f"{URL}/history{bad}")
        assert response.status_code == 400 and _fields(response) == [field], bad


# --- preferences and phone ----------------------------------------------------------------------


def test_preferences_defaults_and_update(auth_client, notif_settings) -> None:
    body = auth_client.get(f"{URL}/preferences").json()
    assert body["event_channels"]["backtest.finished"] == ["push"]
    assert "ingestion.failed" not in body["event_channels"]  # operators only
    assert body["quota"]["sms"] == {"used": 0, "limit": 20}
    response = auth_client.patch(
        f"{URL}/preferences",
        {"email": "alerts@example.com", "event_channels": {"backtest.failed": ["email", "push"]}},
    )
    assert response.status_code == 200
    assert response.json()["event_channels"]["backtest.failed"] == ["email", "push"]
    assert response.json()["email"] == "alerts@example.com"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"event_channels": {"order.teleported": ["push"]}}, "event_channels.order.teleported"),
        ({"event_channels": {"order.filled": ["pigeon"]}}, "event_channels.order.filled.0"),
        ({"event_channels": {"order.filled": ["sms"]}}, "event_channels.order.filled"),
        ({"event_channels": ["push"]}, "event_channels"),
        ({"email": "not-an-email"}, "email"),
        ({"webhook_url": "javascript:alert(1)"}, "webhook_url"),
    ],
)
def test_preferences_reject_bad_input(auth_client, body, field) -> None:
    before = auth_client.get(f"{URL}/preferences").json()
    response = auth_client.patch(f"{URL}/preferences", body)
    assert response.status_code == 400 and field in _fields(response), response.json()
    assert auth_client.get(f"{URL}/preferences").json() == before


def test_preferences_webhook_secret_is_shown_once(auth_client) -> None:
    first = auth_client.patch(f"{URL}/preferences", {"webhook_url": "https://h.example.com/x"})
    assert first.json()["webhook_secret"].startswith("whsec_")
    assert auth_client.get(f"{URL}/preferences").json()["webhook_secret"] is None


def _code_from_outbox() -> str:
    return re.search(r"code is (\d{6})", outbox_messages("sms")[-1]["body"]).group(1)


def test_phone_verification_send_and_confirm(auth_client, notif_settings) -> None:
    sent = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE})
    assert sent.status_code == 202 and sent.json()["sent"] is True
    code = _code_from_outbox()
    stored = PhoneVerification.objects.get()
    assert code not in stored.code_hash and code not in Delivery.objects.get().body
    wrong = "000000" if code != "000000" else "111111"
    bad = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": wrong})
    assert bad.status_code == 400 and _fields(bad) == ["code"]
    ok = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": code})
    assert (
        ok.status_code == 200
        and ok.json()["phone_verified"] is True
        and ok.json()["phone"] == PHONE
    )
    auth_client.user.refresh_from_db()
    assert auth_client.user.phone == PHONE
    again = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": code})
    assert again.status_code == 400 and _fields(again) == ["code"]


def test_phone_codes_allow_limited_attempts_and_expire(auth_client, notif_settings) -> None:
    auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE})
    code = _code_from_outbox()
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": wrong})
    locked = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": code})
    assert locked.status_code == 400 and "too many" in locked.json()["detail"]
    auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE})
    code = _code_from_outbox()
    PhoneVerification.objects.update(
        expires_at=PhoneVerification.objects.first().created_at - timedelta(seconds=1)
    )
    expired = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": PHONE, "code": code})
    assert expired.status_code == 400 and "expired" in expired.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone": "9812345678"}, "phone"),
        ({"phone": "+91 98123"}, "phone"),
        ({"phone": 12}, "phone"),
        ({"phone": PHONE, "code": "12ab56"}, "code"),
        ({}, "phone"),
    ],
)
def test_phone_verify_rejects_bad_input(auth_client, body, field) -> None:
    response = auth_client.post(f"{URL}/preferences/phone/verify", body)
    assert response.status_code == 400 and _fields(response) == [field]
    assert not PhoneVerification.objects.exists() and outbox_messages("sms") == []
    assert not NotificationPreference.objects.filter(phone_verified_at__isnull=False).exists()


def test_phone_verify_reports_a_number_twilio_refuses(auth_client, fake_twilio) -> None:
    fake_twilio.then(400, FakeTwilio.invalid_number())
    response = auth_client.post(f"{URL}/preferences/phone/verify", {"phone": "+15005550001"})
    assert response.status_code == 400 and _fields(response) == ["phone"]
    assert "21211" in response.json()["detail"]
    assert Delivery.objects.get().status == "failed"
