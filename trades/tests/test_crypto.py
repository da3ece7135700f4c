"""Credentials at rest: MultiFernet under keys separate from SECRET_KEY, rotatable."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from trades.crypto import CredentialsUnreadable, credentials_decrypt, credentials_encrypt
from trades.models import BrokerAccount

pytestmark = pytest.mark.django_db


def test_rotation_re_encrypts_under_the_newest_key(settings, user) -> None:
    old = settings.TRADES["CREDENTIALS_KEYS"][0]
    token = credentials_encrypt({"access_token": "secret-value"})
    BrokerAccount.objects.create(owner=user, name="d", broker="dhan", credentials=token)
    new = Fernet.generate_key().decode()
    settings.TRADES = {**settings.TRADES, "CREDENTIALS_KEYS": [new, old]}
    call_command("trades_rotate_credentials", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.TRADES = {**settings.TRADES, "CREDENTIALS_KEYS": [new]}  # the old key dropped
    stored = BrokerAccount.objects.get(name="d").credentials
    assert stored != token and credentials_decrypt(stored) == {"access_token": "secret-value"}


def test_without_the_key_nothing_decrypts_and_secret_key_is_not_used(settings) -> None:
    token = credentials_encrypt({"access_token": "x"})
    settings.TRADES = {**settings.TRADES, "CREDENTIALS_KEYS": [Fernet.generate_key().decode()]}
    with pytest.raises(CredentialsUnreadable):
        credentials_decrypt(token)
