"""``manage.py trades_order_updates``: apply brokers' pushed order updates (Dhan's WebSocket).

One thread per connected account whose broker has the ``order_updates`` capability; the
account list is scanned again every ``--rescan`` seconds, so a newly connected (or
reconnected) account gets its stream and one whose thread ended (a refused token) gets a new
one once it is reconnected. Updates are applied idempotently, so a second copy of this
process does no harm, only double work. SIGTERM/SIGINT stop it.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import connection

from trades.services.order_stream import account_order_stream, stream_accounts

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Apply pushed order updates (Dhan's order-update WebSocket) to orders and fills."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--account", type=int, action="append", help="only these accounts")
        parser.add_argument("--rescan", type=float, default=60.0, help="seconds between scans")

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        streams_run(stop=stop, rescan=options["rescan"], only=options["account"])


def streams_run(*, stop: threading.Event, rescan: float, only: list[int] | None = None) -> None:
    threads: dict[int, threading.Thread] = {}
    while not stop.is_set():
        for account_id in stream_accounts():
            if only and account_id not in only:
                continue
            if account_id in threads and threads[account_id].is_alive():
                continue
            thread = threading.Thread(
                target=_run_one, args=(account_id, stop), name=f"orders-{account_id}", daemon=True
            )
            threads[account_id] = thread
            thread.start()
        stop.wait(rescan)
    for thread in threads.values():
        thread.join(timeout=5)
    connection.close()  # this thread's own, used by the scans


def _run_one(account_id: int, stop: threading.Event) -> None:
    try:
        applied = account_order_stream(account_id=account_id, stop=stop)
        logger.info("order updates of account %s ended after %s", account_id, applied)
    except Exception:
        logger.exception("order updates of account %s stopped", account_id)
    finally:
        connection.close()
