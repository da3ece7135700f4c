"""Test settings: real PostgreSQL and Redis on 127.0.0.1 when reachable, else embedded.

Celery stays eager for ordinary tests (no worker is running); the tests marked
``services`` start a real worker against Redis and PostgreSQL themselves.
"""

from __future__ import annotations

import os
import socket

from .env import env_str


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


if not env_str("DATABASE_URL") and _reachable("127.0.0.1", 5432):
    os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/test"
TEST_REDIS_URL = env_str("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REDIS_AVAILABLE = _reachable("127.0.0.1", 6379)

from .base import *  # noqa: E402, F403
from .base import DATABASES, REST_FRAMEWORK  # noqa: E402

SECRET_KEY = "test-secret-key-not-for-production-" + "x" * 40
SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY  # noqa: F405
CELERY_TASK_ALWAYS_EAGER = True
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast; tests only
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
RATE_LIMITS = {"STORAGE_URL": "memory://"}  # tests that share a window use TEST_REDIS_URL
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "login_ip": "1000/min",
        "register_ip": "1000/min",
    },
}
USING_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
LOGGING = {"version": 1, "disable_existing_loggers": False}
# A fixed credentials key (tests only; never a secret) and live brokers on for the fake Dhan.
TRADES = {
    **TRADES,  # noqa: F405
    "CREDENTIALS_KEYS": ["s3GLs8ew6xtzq87Pzaw8PjFK7e8ddACkKzxKV2ZEpps="],
    "LIVE_BROKERS_ENABLED": True,
}
