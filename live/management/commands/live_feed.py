"""``manage.py live_feed``: the feed process — replay of stored candles, or the Dhan v2 market
feed of one broker login (one leading copy per lease name either way)."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from algobacktester.errors import InvalidInput
from live.feed import run_feed


class Command(BaseCommand):
    help = (
        "Run the live feed: replay stored candles as bar closes for running replay sessions, "
        "or (--source dhan --account ID) the Dhan v2 market feed: ticks recorded as 1-second "
        "bars and checked against market sessions' protective levels."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--source", choices=["replay", "dhan"], default="replay")
        parser.add_argument("--name", default="replay", help="replay: leader-lease name")
        parser.add_argument("--once", action="store_true", help="replay: one pass, then exit")
        parser.add_argument("--poll", type=float, default=0.2, help="seconds between passes")
        parser.add_argument("--account", type=int, help="dhan: the Dhan broker account's id")
        parser.add_argument(
            "--record",
            nargs="*",
            default=[],
            help="dhan: instruments (id or symbol) whose ticks to record besides the sessions'",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
        if options["source"] == "dhan":
            feed = self._market_feed(options, stop)
            feed.run()
            return
        run_feed(name=options["name"], once=options["once"], poll=options["poll"], stop=stop)

    def _market_feed(self, options: dict[str, Any], stop: threading.Event) -> Any:
        from live.market_feed import MarketFeed
        from marketdata import selectors as md
        from trades.models import BrokerAccount

        if options["once"]:
            raise CommandError("--once is for the replay feed; the Dhan feed runs until stopped")
        account = BrokerAccount.objects.filter(pk=options["account"] or 0).first()
        if account is None or account.broker != "dhan":
            raise CommandError("--account: give the id of a Dhan broker account (its login)")
        try:
            record = [
                md.instrument_by_ref(ref=int(ref) if ref.isdigit() else ref).pk
                for ref in options["record"]
            ]
        except InvalidInput as exc:
            raise CommandError(f"--record: {exc.detail}") from exc
        return MarketFeed(account_id=account.pk, record=record, stop=stop)
