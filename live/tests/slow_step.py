"""Imported by a test worker (``--include``): the first step that places an order writes its
process id to ``LIVE_SLOW_STEP_FILE`` and sleeps inside its transaction, so the test can
SIGKILL that pool process mid-step. Later steps (the redelivery) run normally."""

from __future__ import annotations

import os
import time
from pathlib import Path

from live import services

_marker = Path(os.environ["LIVE_SLOW_STEP_FILE"])
_real = services._place


def _slow_place(session, **kw):  # type: ignore[no-untyped-def]
    _real(session, **kw)  # the order intent is written (uncommitted) ...
    if not _marker.exists():
        _marker.write_text(str(os.getpid()))
        time.sleep(60)  # ... and the process dies here


services._place = _slow_place
