"""What an error page (DEBUG's technical 500) and an error e-mail may show.

Django hides settings whose *names* look secret (KEY, TOKEN, PASS, ...), but not
``DATABASE_URL``, ``REDIS_URL``, ``CELERY_BROKER_URL`` or a cache's ``LOCATION``, whose values
carry passwords, and with DEBUG on it shows every local variable of every frame. This filter
also hides those names, and any value, anywhere on the page, that holds a connection URL or
one of the configured secrets.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

# Connection strings: a scheme and "//", optionally with credentials (postgres://u:p@host).
_CONNECTION = re.compile(
    r"\b(?:postgres(?:ql)?|redis|rediss|amqp|mysql|mongodb|memcache|sqlite)://|://[^/\s@]*:[^/\s@]*@",
    re.IGNORECASE,
)
_HIDDEN_MESSAGE = "[hidden: the message names a connection URL or a secret]"
_SECRET_SETTINGS = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")


class SecretsFilter(SafeExceptionReporterFilter):
    hidden_settings = re.compile(
        "API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|URL|DSN|LOCATION|HOSTS|BROKER"
        "|RESULT_BACKEND",
        flags=re.IGNORECASE,
    )

    def is_active(self, request: Any) -> bool:
        return True  # also with DEBUG on: that is when the page is shown at all

    def cleanse_setting(self, key: Any, value: Any) -> Any:
        cleansed = super().cleanse_setting(key, value)
        if isinstance(cleansed, str) and _secret_in(cleansed):
            return self.cleansed_substitute
        return cleansed

    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self._cleanse_variable(name, value)) for name, value in variables]

    def _cleanse_variable(self, name: str, value: Any) -> Any:
        if isinstance(value, str) and value == self.cleansed_substitute:
            return value
        if self.hidden_settings.search(name) or _secret_in(_text(value)):
            return self.cleansed_substitute
        return value


class SecretsReporter(ExceptionReporter):
    """An exception whose message names a connection URL (a driver's "could not connect to
    redis://:password@host") is shown by type only."""

    def get_traceback_data(self) -> dict[str, Any]:
        data = super().get_traceback_data()
        if _secret_in(str(data.get("exception_value", ""))):
            data["exception_value"] = _HIDDEN_MESSAGE
        for frame in data.get("frames", []):  # a chained cause is printed with its frame
            if frame.get("exc_cause") is not None and _secret_in(str(frame["exc_cause"])):
                frame["exc_cause"] = _HIDDEN_MESSAGE
        return data


def _text(value: Any) -> str:
    try:
        return repr(value)[:100_000]  # the page prints repr() too; big values are cut there
    except Exception:  # a broken __repr__: the page shows nothing useful anyway
        return ""


def _secret_in(text: str) -> bool:
    if _CONNECTION.search(text):
        return True
    secrets = (getattr(settings, name, None) for name in _SECRET_SETTINGS)
    return any(isinstance(s, str) and len(s) >= 8 and s in text for s in secrets)
