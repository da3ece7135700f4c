"""Webhook secrets (encrypted at rest, shown once) and one-time code hashing.

A webhook secret must be readable by the server to sign requests, so it is
encrypted rather than hashed, with a key separate from ``SECRET_KEY`` when the
operator sets ``NOTIFICATIONS_SECRET_KEY`` (docs/adr/0006-notification-delivery.md).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

WEBHOOK_SECRET_PREFIX = "whsec_"


def _fernet() -> MultiFernet:
    keys = settings.NOTIFICATIONS["SECRET_KEYS"] or [settings.SECRET_KEY]
    return MultiFernet([Fernet(_derive(k)) for k in keys])


def _derive(key: str) -> bytes:
    return base64.urlsafe_b64encode(hashlib.sha256(f"notifications:{key}".encode()).digest())


def secret_generate() -> str:
    return WEBHOOK_SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:  # keys rotated away: the owner must rotate the secret
        raise ValueError("webhook secret cannot be decrypted; rotate it") from exc


def signature_header(*, secret: str, timestamp: int, body: bytes) -> str:
    """``t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def code_generate(digits: int = 6) -> str:
    return "".join(secrets.choice("0123456789") for _ in range(digits))


def code_hash(*, code: str, salt: str) -> str:
    key = f"notifications.phone:{settings.SECRET_KEY}".encode()
    return hmac.new(key, f"{salt}:{code}".encode(), hashlib.sha256).hexdigest()


def code_matches(*, code: str, salt: str, hashed: str) -> bool:
    return hmac.compare_digest(code_hash(code=code, salt=salt), hashed)
