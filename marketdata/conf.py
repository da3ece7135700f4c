"""Market-data settings with defaults; ``settings.MARKETDATA`` overrides any key."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "PROVIDERS": {},  # name -> dotted path, merged over the built-ins
    "DEFAULT_PROVIDER": "synthetic",
    "MAX_BARS_PER_RESPONSE": 50_000,  # candles API: output bars
    "MAX_SOURCE_BARS": 2_000_000,  # candles API and health report: stored bars read
    "MAX_BACKFILL_DAYS": 5 * 366,  # Dhan keeps five years of intraday history
    "UPLOAD_MAX_BYTES": 20 * 1024 * 1024,  # upload API, compressed size
    "UPLOAD_MAX_UNPACKED_BYTES": 200 * 1024 * 1024,  # after gunzip
    "FILE_CHUNK_ROWS": 100_000,
    "SPIKE_Z": 25.0,  # robust z-score of intraday log returns flagged as a spike
    "OHLC_REPAIR_TOLERANCE": 0.001,  # OHLC off by at most this share of price is repaired
    # A run's lease (docs/adr/0008-leases.md); a heartbeat renews it every third of this, so
    # it lapses only when the worker is gone, and the reaper re-queues the run.
    "RUN_LEASE_SECONDS": 300,
    "RUN_MAX_ATTEMPTS": 3,  # a run whose worker died this many times fails
    "RUN_QUEUED_RESEND_SECONDS": 600,  # a queued run not taken by then is sent again
    "RUN_QUEUED_GIVE_UP_SECONDS": 7200,  # … and fails if no worker took it by then
    "HEALTH_MAX_GAPS": 500,  # holes listed in a report (all are counted)
    "TRACKED_UNDERLYINGS": ("NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "SENSEX"),
}


def md_setting(key: str) -> Any:
    return {**DEFAULTS, **(getattr(settings, "MARKETDATA", None) or {})}[key]
