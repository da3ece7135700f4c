"""Isolation and secrets: a cross-user matrix over every endpoint, privileged fields refused,
and a canary Dhan token that never leaves the encrypted column."""

from __future__ import annotations

import logging
import sys
import uuid

import pytest
from django.apps import apps
from django.db import models
from rest_framework.test import APIClient

from trades.models import BrokerAccount, Order, Position

from .fake_dhan import FakeDhan, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(make_user, equity):
    """Another user with a paper account, a filled order and an open position."""
    from trades.services.accounts import account_connect
    from trades.services.orders import order_execute

    owner = make_user()
    account = account_connect(user=owner, broker="paper", name="Theirs")
    order, _ = order_execute(
        user=owner,
        account_id=account.pk,
        instrument_ref=equity.pk,
        side="BUY",
        lots=1,
        order_type="MARKET",
        product="INTRADAY",
    )
    return {"user": owner, "account": account, "order": order}


def urls(account_id: int, order_id: int) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/api/trades/accounts/{account_id}", None),
        ("patch", f"/api/trades/accounts/{account_id}", {"name": "mine now"}),
        ("delete", f"/api/trades/accounts/{account_id}", None),
        ("post", f"/api/trades/accounts/{account_id}/halt", {}),
        ("post", f"/api/trades/accounts/{account_id}/resume", None),
        ("post", f"/api/trades/accounts/{account_id}/test", None),
        ("get", f"/api/trades/{order_id}", None),
        ("post", f"/api/trades/{order_id}/cancel", None),
        ("post", f"/api/trades/{order_id}/modify", {"lots": 2}),
        ("get", f"/api/trades/positions?account={account_id}", None),
        ("get", f"/api/trades/analytics?account={account_id}", None),
        (
            "post",
            "/api/trades/execute",
            {"account": account_id, "instrument": 1, "side": "BUY", "lots": 1},
        ),
        ("post", "/api/trades/positions/square-off", {"account": account_id}),
    ]


def test_cross_user_access_is_404_and_changes_nothing(auth_client: APIClient, victim) -> None:
    account, order = victim["account"], victim["order"]
    for method, url, body in urls(account.pk, order.pk):
        response = getattr(auth_client, method)(url, body, format="json")
        assert response.status_code == 404, (method, url, response.content)
        assert response.json()["code"] == "not_found"
    account.refresh_from_db()
    assert account.name == "Theirs" and account.trading_state == "active"
    assert Order.objects.filter(account=account).count() == 1
    assert Position.objects.get(account=account).net_quantity == 1


def test_lists_show_only_your_own(auth_client: APIClient, victim) -> None:
    for url in ("/api/trades", "/api/trades/accounts", "/api/trades/positions"):
        assert auth_client.get(url).json()["count"] == 0, url
    assert auth_client.get("/api/trades/analytics").json()["summary"]["trades"] == 0
    square = auth_client.post("/api/trades/positions/square-off", {"all": True}, format="json")
    assert square.status_code == 200 and square.json()["orders"] == []
    assert Position.objects.get(account=victim["account"]).net_quantity == 1


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/api/trades/accounts", {"broker": "paper", "name": "x", "owner": 1}),
        ("post", "/api/trades/accounts", {"broker": "paper", "name": "x", "status": "connected"}),
        (
            "post",
            "/api/trades/accounts",
            {"broker": "paper", "name": "x", "trading_state": "active"},
        ),
        (
            "post",
            "/api/trades/accounts",
            {"broker": "paper", "name": "x", "funds": {"available": 1e9}},
        ),
        ("post", "/api/trades/accounts", {"broker": "paper", "name": "x", "id": 5}),
        ("patch", "ACCOUNT", {"token_expires_at": "2099-01-01T00:00:00Z"}),
        ("patch", "ACCOUNT", {"ledger": {"cash": "1e9"}}),
        ("post", "/api/trades/execute", {"status": "filled"}),
        ("post", "/api/trades/execute", {"client_id": "mine"}),
        ("post", "/api/trades/execute", {"average_price": "1"}),
        ("post", "ORDER/modify", {"status": "filled"}),
        ("post", "ACCOUNT/halt", {"trading_state": "active"}),
    ],
)
def test_privileged_fields_are_refused_naming_them(
    auth_client, paper_account, equity, method, url, body
) -> None:
    from trades.services.orders import order_execute

    order, _ = order_execute(
        user=auth_client.user,
        account_id=paper_account.pk,
        instrument_ref=equity.pk,
        side="BUY",
        lots=1,
        order_type="LIMIT",
        price=1,
        product="INTRADAY",
    )
    url = url.replace("ACCOUNT", f"/api/trades/accounts/{paper_account.pk}").replace(
        "ORDER", f"/api/trades/{order.pk}"
    )
    if url.endswith("/execute"):
        body = {
            "account": paper_account.pk,
            "instrument": equity.pk,
            "side": "BUY",
            "lots": 1,
            **body,
        }
    response = getattr(auth_client, method)(url, body, format="json")
    assert response.status_code == 400, response.content
    privileged = next(
        k for k in body if k not in ("broker", "name", "account", "instrument", "side", "lots")
    )
    assert response.json()["errors"][0]["field"] == privileged
    paper_account.refresh_from_db()
    assert paper_account.token_expires_at is None and paper_account.trading_state == "active"


# --- the canary token ---------------------------------------------------------------------------


@pytest.fixture
def canary_fake(settings):
    canary = f"CANARY{uuid.uuid4().hex}"
    server = FakeDhan(token=token_for(canary), client_id="1100223344").start()
    settings.DHAN_BASE_URL = server.base_url
    settings.DHAN_TIMEOUT_SECONDS = 1
    server.timeout_seconds = 2
    yield canary, server
    server.stop()


def test_a_canary_token_never_leaves_the_encrypted_column(
    auth_client: APIClient, equity, canary_fake, caplog, monkeypatch
) -> None:
    canary, fake = canary_fake
    sent: list[str] = []
    from celery.app.task import Task

    original = Task.apply_async

    def recording(self, args=None, kwargs=None, **options):
        sent.append(repr((self.name, args, kwargs)))
        return original(self, args, kwargs, **options)

    monkeypatch.setattr(Task, "apply_async", recording)
    caplog.set_level(logging.DEBUG)
    responses = []
    connect = auth_client.post(
        "/api/trades/accounts",
        {
            "broker": "dhan",
            "name": "Live",
            "credentials": {"client_id": fake.client_id, "access_token": fake.token},
        },
        format="json",
    )
    assert connect.status_code == 201, connect.content
    account_id = connect.json()["id"]
    responses.append(connect)
    fake.fail_next("timeout", "token_expired")
    order = {"account": account_id, "instrument": equity.pk, "side": "BUY", "lots": 1}
    responses.append(auth_client.post("/api/trades/execute", order, format="json"))
    responses.append(auth_client.post("/api/trades/execute", order, format="json"))
    responses.append(auth_client.post("/api/trades/execute", order, format="json"))  # token expired
    bad = {"client_id": "1", "access_token": f"x{canary}"}
    responses.append(
        auth_client.patch(f"/api/trades/accounts/{account_id}", {"credentials": bad}, format="json")
    )
    responses.append(auth_client.post(f"/api/trades/accounts/{account_id}/test"))
    fake.funds_fault = "5xx"
    responses.append(auth_client.post(f"/api/trades/accounts/{account_id}/test"))  # a 502
    for url in (
        "/api/trades/accounts",
        f"/api/trades/accounts/{account_id}",
        "/api/trades",
        "/api/trades/positions",
    ):
        responses.append(auth_client.get(url))
    from trades.tasks import accounts_reconcile_task, order_settle_task, orders_reap_task

    for pk in Order.objects.values_list("pk", flat=True):  # what on_commit and beat send
        order_settle_task.delay(pk)
    orders_reap_task.delay()
    accounts_reconcile_task.delay()
    for response in responses:
        assert canary not in response.content.decode(), response.request["PATH_INFO"]
    assert canary not in caplog.text
    assert sent and all(canary not in s for s in sent)
    assert _database_holds(canary) == ["trades.BrokerAccount.credentials (encrypted)"]
    assert _error_report_text(account_id, canary).count(canary) == 0


def _database_holds(needle: str) -> list[str]:
    """Every text and JSON column of every table, read back; the ciphertext is searched too."""
    from trades.crypto import credentials_decrypt

    found = []
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        if not fields:
            continue
        for row in model.objects.values_list(*fields):
            if any(needle in str(value) for value in row):
                found.append(f"{model._meta.label} (plaintext)")
    for account in BrokerAccount.objects.exclude(credentials=""):
        if needle in credentials_decrypt(account.credentials).get("access_token", ""):
            found.append("trades.BrokerAccount.credentials (encrypted)")
    return found


def _error_report_text(account_id: int, canary: str) -> str:
    """The error page/e-mail of a failure inside the adapter, with every frame's locals."""
    from algobacktester.reporting import SecretsReporter
    from trades.brokers import dhan
    from trades.services.accounts import broker_for

    account = BrokerAccount.objects.get(pk=account_id)

    class BoomError(Exception):
        pass

    def explode(self, *args, **kwargs):
        raise BoomError("the SDK failed")

    saved = dhan.DhanBroker.funds
    dhan.DhanBroker.funds = explode
    try:
        broker_for(account).funds()
    except BoomError:
        report = SecretsReporter(None, *sys.exc_info()).get_traceback_text()
    finally:
        dhan.DhanBroker.funds = saved
    assert "the SDK failed" in report
    return report
