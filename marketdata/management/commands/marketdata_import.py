"""Import a CSV or Parquet file of bars: ``manage.py marketdata_import FILE --symbol NIFTY``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from marketdata.providers import FileFormatError
from marketdata.providers.files import FORMATS, LABELS, FileProvider, mapping_parse
from marketdata.services import candles_import
from marketdata.timeframes import SECONDS

from ._common import add_instrument_arguments, instrument_from_options


class Command(BaseCommand):
    help = "Import bars from a CSV (optionally .gz) or Parquet file, with a progress bar."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        add_instrument_arguments(parser)
        parser.add_argument("--timeframe", default="1m", choices=list(SECONDS))
        parser.add_argument("--format", choices=FORMATS)
        parser.add_argument(
            "--map", default="", help="target=column,... e.g. time=Date,close=Close"
        )
        parser.add_argument("--tz", default="Asia/Kolkata", help="zone of naive times")
        parser.add_argument(
            "--label", default="start", choices=LABELS, help="times label bar start or end"
        )
        parser.add_argument("--dayfirst", action="store_true")
        parser.add_argument("--chunk-rows", type=int, default=100_000)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, **options) -> None:
        instrument = instrument_from_options(options, create=True)
        try:
            provider = FileProvider(
                source=options["path"],
                timeframe=options["timeframe"],
                fmt=options["format"],
                mapping=mapping_parse(options["map"]),
                tz=options["tz"],
                label=options["label"],
                chunk_rows=options["chunk_rows"],
                dayfirst=options["dayfirst"],
            )
            bar = tqdm(
                total=provider.rows_estimate(),
                unit="rows",
                disable=options["no_progress"],
                desc=f"{instrument.symbol} {options['timeframe']}",
            )
            with bar:
                run = candles_import(
                    instrument=instrument,
                    timeframe=options["timeframe"],
                    provider=provider,
                    progress=bar.update,
                    source_name=options["path"],
                )
        except (FileFormatError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"run {run.pk} {run.status}: received {run.rows_received}, inserted "
            f"{run.rows_inserted}, updated {run.rows_updated}, unchanged {run.rows_unchanged}, "
            f"rejected {run.rows_rejected}; anomalies {run.anomalies.get('counts', {})}"
        )
