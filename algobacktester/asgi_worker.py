"""gunicorn's uvicorn worker, minus uvicorn's own reading of ``X-Forwarded-For``.

uvicorn trusts forwarded headers from loopback by default, and rewrites the peer address
before Django sees it: a client on the same host (or behind a local proxy that passes the
header through) could then choose the address the per-IP lock-out and throttles count.
Which hops to believe is decided once, in Django, from ``TRUSTED_PROXIES``
(``algobacktester.accounts.clientip``).

    gunicorn algobacktester.asgi:application -k algobacktester.asgi_worker.UvicornWorker
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn.workers import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        **_UvicornWorker.CONFIG_KWARGS,
        "proxy_headers": False,
    }
