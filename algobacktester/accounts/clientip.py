"""The client address every per-IP decision uses: the login lock-out and the DRF throttles.

``X-Forwarded-For`` is written by whoever sends the request, so it counts only when the
connection comes from a proxy the operator listed in ``TRUSTED_PROXIES``; then the header is
read from the right (the hop our proxy appended) and the first address that is not one of our
proxies is the client. Anything left of it was chosen by the client and is ignored.

uvicorn must not rewrite the peer address itself (its default trusts loopback): every
launcher runs it with ``--no-proxy-headers`` or ``algobacktester.asgi_worker.UvicornWorker``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from django.conf import settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_ip(request: Any) -> str:
    """The client's address for ``request`` (a Django or DRF request)."""
    meta = request.META
    peer = meta.get("REMOTE_ADDR", "") or ""
    if not _trusted(peer):
        return peer
    hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if _parse(hop) is None:  # a malformed hop: nothing further left can be believed
            return peer
        if not _trusted(hop):
            return hop
    return hops[0] if hops else peer


def _trusted(address: str) -> bool:
    ip = _parse(address)
    return ip is not None and any(ip in net for net in _networks(tuple(settings.TRUSTED_PROXIES)))


def _parse(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    # A dual-stack listener reports IPv4 peers as ::ffff:a.b.c.d; compare them as IPv4.
    mapped = getattr(ip, "ipv4_mapped", None)
    return mapped or ip


@lru_cache(maxsize=8)
def _networks(entries: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
