"""Print the data-health report: ``manage.py marketdata_health --symbol NIFTY --timeframe 1m``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from algobacktester.errors import InvalidInput
from marketdata.selectors import data_health_report
from marketdata.timeframes import SECONDS

from ._common import add_instrument_arguments, instrument_from_options, validation_message


class Command(BaseCommand):
    help = "Coverage, gaps against the trading calendar, anomalies and quarantine, as JSON."

    def add_arguments(self, parser) -> None:
        add_instrument_arguments(parser)
        parser.add_argument("--timeframe", default="1m", choices=list(SECONDS))
        parser.add_argument("--start")
        parser.add_argument("--end")

    def handle(self, *args, **options) -> None:
        instrument = instrument_from_options(options)
        try:
            report = data_health_report(
                instrument=instrument,
                timeframe=options["timeframe"],
                start=options["start"],
                end=options["end"],
                include_run_error=True,
            )
        except InvalidInput as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(json.dumps(report, indent=2, default=str))
