"""POST /api/trades/accounts/{id}/test: the broker's funds call with the stored credentials."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from trades.models import BrokerAccount

pytestmark = pytest.mark.django_db


def _test(client, account):
    return client.post(f"/api/trades/accounts/{account.pk}/test")


def test_a_paper_account_answers_its_funds(auth_client, paper_account) -> None:
    response = _test(auth_client, paper_account)
    assert response.status_code == 200, response.content
    assert response.json()["funds"]["available"] == "100000.00"
    assert response.json()["status"] == "connected"


def test_dhan_records_funds_expiry_and_clears_an_expired_status(auth_client, dhan, fake) -> None:
    BrokerAccount.objects.filter(pk=dhan.pk).update(
        status="token_expired", token_expires_at=None, funds={}
    )
    response = _test(auth_client, dhan)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "connected" and body["funds"]["available"] == "250000.5"
    stored = BrokerAccount.objects.get(pk=dhan.pk)
    assert stored.status == "connected"
    assert stored.token_expires_at > timezone.now() + timedelta(hours=23)
    assert stored.funds_at is not None


def test_a_refused_token_is_a_409_on_credentials_without_the_token(auth_client, dhan, fake) -> None:
    canary = fake.token
    fake.token = "rotated-on-the-broker-side"  # the stored one is refused now
    response = _test(auth_client, dhan)
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "credentials_refused"
    assert body["errors"][0]["field"] == "credentials" and "DH-901" in body["detail"]
    assert canary not in response.content.decode() and canary.split(".")[-1] not in str(body)
    assert BrokerAccount.objects.get(pk=dhan.pk).status == "token_expired"


def test_a_broker_failure_is_a_502_and_keeps_the_status(auth_client, dhan, fake) -> None:
    fake.funds_fault = "5xx"
    response = _test(auth_client, dhan)
    assert response.status_code == 502, response.content
    assert response.json()["code"] == "broker_error" and "funds" in response.json()["detail"]
    assert fake.token not in response.content.decode()
    assert BrokerAccount.objects.get(pk=dhan.pk).status == "connected"


def test_only_the_owner_can_test_an_account(make_user, paper_account) -> None:
    from rest_framework.test import APIClient

    other = APIClient()
    other.force_authenticate(make_user())
    assert _test(other, paper_account).status_code == 404
    assert APIClient().post(f"/api/trades/accounts/{paper_account.pk}/test").status_code == 401
