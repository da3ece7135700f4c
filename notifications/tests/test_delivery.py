"""Sending: providers via local fakes, retries, permanent failures, exactly-once, quotas."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.utils import timezone

from algobacktester.events import user_group
from notifications import services
from notifications.channels.base import OutgoingMessage
from notifications.channels.outbox import outbox_messages
from notifications.channels.push import WebSocketPush
from notifications.models import AlertRule, Delivery, NotificationPreference
from notifications.tasks import delivery_send_task

from .fakes import FakeTwilio
from .support import CANARY, PHONE, SID, override, verify_phone

pytestmark = pytest.mark.django_db


def _delivery(user, channel: str, key: str = "k1") -> Delivery:
    [delivery] = services.deliveries_create(
        user=user,
        channels={channel: None},
        event_type="backtest.finished",
        dedupe_key=key,
        subject="Backtest finished",
        body="Return 4.2%",
        data={"run": 1},
    )
    return delivery


def _reload(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


# --- SendGrid ----------------------------------------------------------------------------


def test_sendgrid_sends_once_with_the_documented_request(user, fake_sendgrid) -> None:
    delivery = _delivery(user, "email")
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    [request] = fake_sendgrid.requests
    assert request.path == "/v3/mail/send"
    assert request.headers["Authorization"] == f"Bearer {CANARY}"
    body = request.json()
    assert body["personalizations"][0]["to"][0]["email"] == user.email
    assert body["subject"] == "Backtest finished"
    row = _reload(delivery)
    assert (row.status, row.attempts, row.destination) == ("sent", 1, user.email)
    assert row.provider_id == "sg-1" and row.sent_at is not None


def test_sendgrid_429_is_retried_then_succeeds(user, fake_sendgrid) -> None:
    fake_sendgrid.then(429, {"errors": [{"message": "too many requests"}]}, {"Retry-After": "3"})
    delivery = _delivery(user, "email")
    first = services.delivery_send(delivery_id=delivery.pk)
    assert first.status == "queued" and first.retry_in is not None and first.retry_in >= 3
    row = _reload(delivery)
    assert row.status == "queued" and row.attempts == 1 and "429" in row.reason
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    assert len(fake_sendgrid.requests) == 2
    assert _reload(delivery).attempts == 2


def test_eager_task_path_retries_and_sends(user, fake_sendgrid, django_capture_on_commit_callbacks):
    fake_sendgrid.then(503, {"errors": [{"message": "unavailable"}]})
    with django_capture_on_commit_callbacks(execute=True):
        _delivery(user, "email")
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(fake_sendgrid.requests) == 2


def test_sendgrid_permanent_400_is_not_retried(user, fake_sendgrid) -> None:
    fake_sendgrid.then(400, {"errors": [{"message": "Does not contain a valid address."}]})
    delivery = _delivery(user, "email")
    outcome = services.delivery_send(delivery_id=delivery.pk)
    assert outcome.status == "failed" and outcome.retry_in is None
    row = _reload(delivery)
    assert row.reason == "SendGrid HTTP 400: Does not contain a valid address."
    # A second run of the task changes nothing.
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    assert len(fake_sendgrid.requests) == 1


def test_transient_errors_give_up_after_max_retries(user, fake_sendgrid) -> None:
    for _ in range(5):
        fake_sendgrid.then(500, {"errors": [{"message": "boom"}]})
    delivery = _delivery(user, "email")
    outcomes = [services.delivery_send(delivery_id=delivery.pk) for _ in range(4)]
    assert [o.status for o in outcomes] == ["queued", "queued", "failed", "failed"]
    row = _reload(delivery)
    assert row.attempts == 3 and "gave up after 3 attempts" in row.reason
    assert len(fake_sendgrid.requests) == 3


def test_unreachable_provider_is_transient(user, notif_settings) -> None:
    notif_settings.SENDGRID_API_KEY = CANARY
    override(
        notif_settings,
        BACKENDS={"email": "notifications.channels.email.SendGridEmail"},
        SENDGRID_HOST="http://127.0.0.1:9",  # discard port: connection refused
    )
    delivery = _delivery(user, "email")
    outcome = services.delivery_send(delivery_id=delivery.pk)
    assert outcome.status == "queued" and outcome.retry_in
    assert "unreachable" in _reload(delivery).reason


# --- Twilio ------------------------------------------------------------------------------


def test_twilio_sends_to_the_verified_phone(user, fake_twilio) -> None:
    verify_phone(user)
    delivery = _delivery(user, "sms")
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    [request] = fake_twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    form = request.form()
    assert form["To"] == PHONE and form["From"] == "+15005550006" and form["Body"] == "Return 4.2%"
    assert _reload(delivery).provider_id.startswith("SM")


def test_twilio_invalid_number_fails_permanently(user, fake_twilio) -> None:
    verify_phone(user)
    fake_twilio.then(400, FakeTwilio.invalid_number())
    delivery = _delivery(user, "sms")
    outcome = services.delivery_send(delivery_id=delivery.pk)
    assert outcome.status == "failed" and outcome.retry_in is None
    assert (
        "21211" in _reload(delivery).reason
        and "Invalid 'To' Phone Number" in _reload(delivery).reason
    )
    assert len(fake_twilio.requests) == 1


def test_twilio_429_then_success(user, fake_twilio) -> None:
    verify_phone(user)
    fake_twilio.then(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
    delivery = _delivery(user, "sms")
    assert services.delivery_send(delivery_id=delivery.pk).retry_in is not None
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"
    assert len(fake_twilio.requests) == 2


def test_sms_without_verified_phone_fails_with_reason(user, fake_twilio) -> None:
    delivery = _delivery(user, "sms")
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    assert _reload(delivery).reason == "no verified phone number"
    assert fake_twilio.requests == []


# --- exactly once ----------------------------------------------------------------------------


def test_duplicate_task_run_sends_once(user, fake_sendgrid) -> None:
    delivery = _delivery(user, "email")
    assert delivery_send_task.apply(args=(delivery.pk,)).get() == "sent"
    assert delivery_send_task.apply(args=(delivery.pk,)).get() == "sent"
    assert len(fake_sendgrid.requests) == 1 and _reload(delivery).attempts == 1


def test_a_claimed_delivery_is_not_sent_by_a_second_worker(user, fake_sendgrid) -> None:
    delivery = _delivery(user, "email")
    Delivery.objects.filter(pk=delivery.pk).update(status="sending")  # worker 1 holds it
    assert services.delivery_send(delivery_id=delivery.pk).status == "sending"
    assert fake_sendgrid.requests == []


def test_same_event_twice_creates_one_delivery_per_channel(user, notif_settings) -> None:
    NotificationPreference.objects.create(
        user=user, event_channels={"backtest.finished": ["push", "email"]}
    )
    first = services.event_notify(
        user=user, event_type="backtest.finished", data={"run": 7}, dedupe_key="run:7"
    )
    again = services.event_notify(
        user=user, event_type="backtest.finished", data={"run": 7}, dedupe_key="run:7"
    )
    assert sorted(d.channel for d in first) == ["email", "push"] and again == []
    assert Delivery.objects.count() == 2


# --- quotas ----------------------------------------------------------------------------------


def test_daily_sms_quota_fails_the_delivery_over_the_cap(user, fake_twilio, notif_settings):
    override(notif_settings, DAILY_QUOTA={"sms": 1, "email": 5})
    verify_phone(user)
    first, second = _delivery(user, "sms", "a"), _delivery(user, "sms", "b")
    assert services.delivery_send(delivery_id=first.pk).status == "sent"
    assert services.delivery_send(delivery_id=second.pk).status == "failed"
    assert _reload(second).reason == "daily SMS quota reached"
    assert len(fake_twilio.requests) == 1


def test_retries_count_against_the_quota_once(user, fake_sendgrid, notif_settings) -> None:
    override(notif_settings, DAILY_QUOTA={"sms": 1, "email": 1})
    fake_sendgrid.then(503)
    delivery = _delivery(user, "email")
    services.delivery_send(delivery_id=delivery.pk)
    assert services.delivery_send(delivery_id=delivery.pk).status == "sent"


# --- secrets -----------------------------------------------------------------------------------


def test_provider_secrets_never_reach_logs_rows_or_responses(
    user, auth_client, fake_sendgrid, fake_twilio, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    verify_phone(auth_client.user)
    fake_sendgrid.then(
        401, {"errors": [{"message": "The provided authorization grant is invalid"}]}
    )
    fake_twilio.then(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
    response = auth_client.post(
        "/api/notifications/alerts", {"message": "hi", "channels": ["email", "sms"]}
    )
    for delivery in Delivery.objects.all():
        services.delivery_send(delivery_id=delivery.pk)
    history = auth_client.get("/api/notifications/history")
    prefs = auth_client.get("/api/notifications/preferences")
    assert response.status_code == 202 and history.status_code == 200
    rows = list(Delivery.objects.values())
    for text in (
        caplog.text,
        response.content.decode(),
        history.content.decode(),
        prefs.content.decode(),
        repr(rows),
    ):
        assert CANARY not in text


# --- push and console ----------------------------------------------------------------------------


def test_push_reaches_the_users_group(user) -> None:
    layer = get_channel_layer()
    async_to_sync(layer.group_add)(user_group(user.pk), "test.channel")
    message = OutgoingMessage(
        user_id=user.pk, delivery_id=5, to="", subject="s", body="b", event_type="x"
    )
    WebSocketPush().send(message)
    received = async_to_sync(layer.receive)("test.channel")
    assert received["event"]["type"] == "notification"
    assert received["event"]["data"]["delivery_id"] == 5


def test_console_backends_print_and_keep_an_outbox(user, notif_settings, capsys) -> None:
    verify_phone(user)
    for channel in ("email", "sms"):
        services.delivery_send(delivery_id=_delivery(user, channel, channel).pk)
    assert [m["to"] for m in outbox_messages("email")] == [user.email]
    assert [m["to"] for m in outbox_messages("sms")] == [PHONE]
    assert "[notifications:sms]" in capsys.readouterr().out


def test_backoff_grows_with_jitter_and_honours_retry_after(notif_settings) -> None:
    override(notif_settings, RETRY_BACKOFF_SECONDS=10, RETRY_BACKOFF_MAX_SECONDS=60)
    for attempt, step in ((1, 10), (2, 20), (3, 40), (6, 60)):
        delay = services.backoff_seconds(attempt=attempt)
        assert step / 2 <= delay <= step
    assert services.backoff_seconds(attempt=1, retry_after=30) == 30


def test_lost_tasks_are_requeued_and_sent_once(user, notif_settings) -> None:
    delivery = _delivery(user, "push")
    Delivery.objects.filter(pk=delivery.pk).update(updated_at="2020-01-01T00:00:00Z")
    assert services.deliveries_requeue_due() == 1
    assert _reload(delivery).status == "sent"
    assert services.deliveries_requeue_due() == 0


def test_deleting_a_rule_keeps_its_history(user, notif_settings) -> None:
    rule = AlertRule.objects.create(
        owner=user, name="r", kind="event", event_type="order.filled", channels=["push"]
    )
    services.event_notify(user=user, event_type="order.filled", data={}, dedupe_key="o1")
    rule.delete()
    assert Delivery.objects.get().rule is None


def test_a_delivery_stuck_in_sending_is_closed_as_unknown_never_resent(user, fake_sendgrid) -> None:
    stuck, fresh = _delivery(user, "email", "stuck"), _delivery(user, "email", "fresh")
    Delivery.objects.filter(pk=stuck.pk).update(
        status="sending", lease_until="2020-01-01T00:00:00Z"
    )
    Delivery.objects.filter(pk=fresh.pk).update(  # a worker is sending it now
        status="sending", lease_until=timezone.now() + timedelta(minutes=15)
    )
    services.deliveries_requeue_due()
    closed = _reload(stuck)
    assert closed.status == "failed"
    assert "outcome unknown" in closed.reason
    assert _reload(fresh).status == "sending"
    assert fake_sendgrid.requests == []


@pytest.mark.parametrize("channel", ["sms", "email"])
def test_a_reply_lost_after_the_provider_accepted_is_never_resent(
    user, fake_twilio, fake_sendgrid, notif_settings, channel: str
) -> None:
    if channel == "sms":
        verify_phone(user)
    fake = fake_twilio if channel == "sms" else fake_sendgrid
    fake.delay = 30.0  # held until the fake stops: far past the client's timeout, at no cost
    override(notif_settings, HTTP_TIMEOUT_SECONDS=0.3)
    delivery = _delivery(user, channel)
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    closed = _reload(delivery)
    assert closed.reason.startswith("outcome unknown")
    assert services.deliveries_requeue_due() == 0
    assert services.delivery_send(delivery_id=delivery.pk).status == "failed"
    assert len(fake.requests) == 1  # taken once by the provider; never posted again
