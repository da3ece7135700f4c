"""Fetch a range from a provider: ``manage.py marketdata_backfill --symbol NIFTY --start ...``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from algobacktester.errors import ApplicationError
from marketdata.conf import md_setting
from marketdata.ranges import time_range
from marketdata.services import candles_backfill
from marketdata.timeframes import MINUTES

from ._common import add_instrument_arguments, instrument_from_options, validation_message


class Command(BaseCommand):
    help = "Fetch [start, end) of bars from a provider now (or --queue it for a worker)."

    def add_arguments(self, parser) -> None:
        add_instrument_arguments(parser)
        parser.add_argument("--timeframe", default="1m", choices=list(MINUTES))
        parser.add_argument("--start", required=True, help="date or datetime (naive = IST)")
        parser.add_argument("--end", required=True, help="date (inclusive) or datetime (exclusive)")
        parser.add_argument("--provider", default=None, help="dhan, synthetic, ... (settings)")
        parser.add_argument("--queue", action="store_true", help="enqueue instead of running here")

    def handle(self, *args, **options) -> None:
        instrument = instrument_from_options(options, create=True)
        provider = options["provider"] or md_setting("DEFAULT_PROVIDER")
        try:
            start, end = time_range(options["start"], options["end"])
            run = candles_backfill(
                instrument=instrument,
                timeframe=options["timeframe"],
                start=start,
                end=end,
                provider=provider,
                run_now=not options["queue"],
            )
        except ApplicationError as exc:  # bad input or a conflicting run
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(
            f"run {run.pk} {run.status}: inserted {run.rows_inserted}, updated {run.rows_updated},"
            f" rejected {run.rows_rejected}{'; error: ' + run.error if run.error else ''}"
        )
        if run.status == "failed":
            raise CommandError(run.error)
