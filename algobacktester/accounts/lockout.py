"""Login lock-out by account and by client IP.

Throttling alone is no security boundary (../shared/RELIABILITY.md): a password-guessing
run is stopped per email even when it rotates IPs, and per IP even when it rotates emails.
Every attempt is counted *before* the password is checked, with an atomic increment, so
parallel guesses cannot all slip through between a check and an update; a successful login
takes its attempt back.
"""

from __future__ import annotations

import contextlib
import hashlib
import time

from django.conf import settings
from django.core.cache import cache


def _key(kind: str, value: str) -> str:
    digest = hashlib.sha256(value.encode()).hexdigest()[:32]  # no emails in cache keys
    return f"login-attempts:{kind}:{digest}"


def _limits() -> dict[str, int]:
    return settings.LOGIN_LOCKOUT


def attempt_begin(*, email: str, ip: str) -> int:
    """Count this attempt; return seconds to wait (0: go ahead and check the password)."""
    limits = _limits()
    waits = [
        _count(_key("email", email), limits["per_email"]),
        _count(_key("ip", ip), limits["per_ip"]),
    ]
    return max(waits)


def _count(key: str, limit: int) -> int:
    window = _limits()["window_seconds"]
    cache.add(f"{key}:first", time.time(), timeout=window)  # no-op when the window is open
    cache.add(key, 0, timeout=window)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr: this attempt opens a new window
        cache.set(key, 1, timeout=window)
        attempts = 1
    if attempts <= limit:
        return 0
    first = cache.get(f"{key}:first") or time.time()
    return max(1, int(first + window - time.time() + 0.999))


def attempt_succeeded(*, email: str, ip: str) -> None:
    """A right password: the email's slate is wiped; the address gets this attempt back."""
    cache.delete_many([_key("email", email), f"{_key('email', email)}:first"])
    with contextlib.suppress(ValueError):
        cache.decr(_key("ip", ip))
