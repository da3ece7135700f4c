"""Seed synthetic demo candles: ``manage.py marketdata_seed_demo --symbols NIFTY,BANKNIFTY``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from marketdata.services import demo_candles_seed


class Command(BaseCommand):
    help = "Store seeded synthetic 1m bars for demo instruments (idempotent)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--symbols", default="NIFTY,BANKNIFTY")
        parser.add_argument("--days", type=int, default=60)
        parser.add_argument("--seed", type=int, default=0)

    def handle(self, *args, **options) -> None:
        symbols = tuple(s.strip().upper() for s in options["symbols"].split(",") if s.strip())
        stored = demo_candles_seed(symbols=symbols, days=options["days"], seed=options["seed"])
        for symbol, n in stored.items():
            self.stdout.write(f"{symbol}: {n} bars")
