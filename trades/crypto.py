"""Broker credentials at rest: MultiFernet under keys separate from ``SECRET_KEY``.

``TRADES_CREDENTIALS_KEYS`` (environment) lists Fernet keys, newest first: new ciphertext
uses the first, every key still decrypts, and ``manage.py trades_rotate_credentials``
re-encrypts every row under the first (then the old key can be dropped). Without a key a
broker that needs credentials cannot be connected: the paper broker needs none.

Plaintext credentials exist only in memory, inside the broker adapter; they are never
logged, returned, stored unencrypted or passed as task arguments (tasks take an account id).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.views.decorators.debug import sensitive_variables

from algobacktester.errors import Unavailable


class CredentialsUnreadable(Exception):  # noqa: N818 - reads as the outcome, like the errors module
    """The stored ciphertext does not decrypt under any configured key (keys rotated away)."""


def _keys() -> list[str]:
    return list(settings.TRADES.get("CREDENTIALS_KEYS") or [])


def credentials_configured() -> bool:
    return bool(_keys())


def _fernet() -> MultiFernet:
    keys = _keys()
    if not keys:
        raise Unavailable(
            "broker credentials cannot be stored: the operator has not set "
            "TRADES_CREDENTIALS_KEYS (see docs/trades.md)",
            code="credentials_key_missing",
        )
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:  # a malformed key in the environment: the operator's to fix
        raise Unavailable(
            "TRADES_CREDENTIALS_KEYS holds a key that is not a Fernet key",
            code="credentials_key_invalid",
        ) from exc


@sensitive_variables("values")
def credentials_encrypt(values: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


@sensitive_variables()
def credentials_decrypt(token: str) -> dict[str, Any]:
    if not token:
        return {}
    try:
        return json.loads(_fernet().decrypt(token.encode()))
    except InvalidToken as exc:
        raise CredentialsUnreadable("stored credentials no longer decrypt; reconnect") from exc


def credentials_rotate(token: str) -> str:
    """The same secret under the newest key."""
    return _fernet().rotate(token.encode()).decode() if token else token


def key_generate() -> str:
    return Fernet.generate_key().decode()
