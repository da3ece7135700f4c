"""Login lock-out by account and by client IP (counts failures in the cache).

Throttling alone is no security boundary (../shared/RELIABILITY.md): a
password-guessing run is stopped per email even when it rotates IPs, and per IP
even when it rotates emails.
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no emails in cache keys
    return f"login-fail:{kind}:{digest}"


def _limits() -> dict[str, int]:
    return settings.LOGIN_LOCKOUT


def retry_after(*, email: str, ip: str) -> int:
    """Seconds until a login may be tried again; 0 when not locked out."""
    limits = _limits()
    waits = [
        _wait(_key("email", email), limits["per_email"]),
        _wait(_key("ip", ip), limits["per_ip"]),
    ]
    return max(waits)


def _wait(key: str, limit: int) -> int:
    record = cache.get(key)
    if not record or record["count"] < limit:
        return 0
    remaining = record["first"] + _limits()["window_seconds"] - time.time()
    return max(1, int(remaining + 0.999))


def record_failure(*, email: str, ip: str) -> None:
    window = _limits()["window_seconds"]
    for key in (_key("email", email), _key("ip", ip)):
        record = cache.get(key) or {"count": 0, "first": time.time()}
        record["count"] += 1
        remaining = max(1, int(record["first"] + window - time.time()))
        cache.set(key, record, timeout=remaining)


def clear(*, email: str) -> None:
    cache.delete(_key("email", email))
