"""Seed embedded mode with demo data: user, candles, template strategies, one backtest.

The demo user's password comes from DEMO_PASSWORD, or is generated and printed once.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from workers.demo import DEMO_DAYS, DEMO_EMAIL, demo_seed


class Command(BaseCommand):
    help = "Create the demo user and demo data for embedded mode (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=DEMO_DAYS, help="trading days of candles")

    def handle(self, *args: Any, **options: Any) -> None:
        report = demo_seed(days=options["days"])
        if report.password:
            self.stdout.write(
                self.style.SUCCESS(f"Demo user: {DEMO_EMAIL}  password: {report.password}")
            )
            self.stdout.write("(shown once; set DEMO_PASSWORD to choose it)")
        else:
            self.stdout.write(f"Demo user {DEMO_EMAIL} exists (id {report.user.pk}).")
        bars = ", ".join(f"{symbol} {count:,}" for symbol, count in report.candles.items())
        self.stdout.write(
            f"Synthetic 1m candles: {bars}; template strategies added: {report.strategies_created}"
        )
        run = report.backtest
        if run is not None:
            ret = (run.stats or {}).get("return_pct")
            shown = f"{ret:.2f}%" if isinstance(ret, float) else "n/a"
            self.stdout.write(
                f"Demo backtest #{run.pk}: {run.status}, return {shown} (GET /api/backtest/{run.pk})"
            )
