"""``manage.py live_feed``: the feed process (replay of stored candles; one per login)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from live.feed import run_feed


class Command(BaseCommand):
    help = "Run the live feed: replay stored candles as bar closes for running replay sessions."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--source", choices=["replay", "dhan"], default="replay")
        parser.add_argument("--name", default="replay", help="leader-lease name (one per login)")
        parser.add_argument("--once", action="store_true", help="one pass, then exit")
        parser.add_argument("--poll", type=float, default=0.2, help="seconds between passes")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["source"] == "dhan":
            raise CommandError(
                "the Dhan v2 market feed is not available yet (docs/live.md): "
                "run --source replay; live sessions on a broker feed are refused by the API"
            )
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        run_feed(name=options["name"], once=options["once"], poll=options["poll"], stop=stop)
