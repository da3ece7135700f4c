"""Export candles to JSON (columnar, as the API) or CSV: ``manage.py marketdata_export ...``."""

from __future__ import annotations

import csv
import io
import json

from django.core.management.base import BaseCommand, CommandError

from algobacktester.errors import InvalidInput
from engine.markets.calendar import IST
from marketdata.ranges import ns_to_datetime
from marketdata.selectors import candles_load
from marketdata.timeframes import SECONDS

from ._common import add_instrument_arguments, instrument_from_options, validation_message


class Command(BaseCommand):
    help = "Export candles (resampled from 1m when needed) to JSON or CSV."

    def add_arguments(self, parser) -> None:
        add_instrument_arguments(parser)
        parser.add_argument("--timeframe", default="1m", choices=list(SECONDS))
        parser.add_argument("--start", required=True)
        parser.add_argument("--end", required=True)
        parser.add_argument("--format", default="csv", choices=("csv", "json"))
        parser.add_argument("--output", "-o", default="-", help="file path, - for stdout")

    def handle(self, *args, **options) -> None:
        instrument = instrument_from_options(options)
        try:
            bars = candles_load(
                instrument=instrument,
                timeframe=options["timeframe"],
                start=options["start"],
                end=options["end"],
            )
        except InvalidInput as exc:
            raise CommandError(validation_message(exc)) from exc
        to_file = options["output"] != "-"
        out = open(options["output"], "w", newline="") if to_file else io.StringIO()  # noqa: SIM115
        try:
            if options["format"] == "json":
                json.dump(
                    {
                        "symbol": instrument.symbol,
                        "timeframe": options["timeframe"],
                        "t": (bars.ts // 10**9).tolist(),
                        "o": bars.open.tolist(),
                        "h": bars.high.tolist(),
                        "l": bars.low.tolist(),
                        "c": bars.close.tolist(),
                        "v": bars.volume.tolist(),
                    },
                    out,
                )
            else:
                writer = csv.writer(out)
                writer.writerow(["datetime", "open", "high", "low", "close", "volume"])
                for i in range(len(bars)):
                    when = ns_to_datetime(int(bars.ts[i])).astimezone(IST).isoformat()
                    writer.writerow(
                        [
                            when,
                            bars.open[i],
                            bars.high[i],
                            bars.low[i],
                            bars.close[i],
                            bars.volume[i],
                        ]
                    )
        finally:
            if options["output"] == "-":
                self.stdout.write(out.getvalue(), ending="")
            out.close()
        if options["output"] != "-":
            self.stderr.write(f"wrote {len(bars)} bars to {options['output']}")
