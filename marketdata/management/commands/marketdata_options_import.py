"""Import an option file: ``manage.py marketdata_options_import FILE [--format nse-eod]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from marketdata.providers import FileFormatError
from marketdata.providers.option_files import FORMATS
from marketdata.services.options import option_file_import


class Command(BaseCommand):
    help = (
        "Import NSE contract-wise EOD, NSE F&O contract files or option-chain snapshots "
        "(CSV, optionally .gz): contracts created as needed, candles stored per contract, "
        "ATM IV kept from snapshots, bad rows quarantined."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", choices=FORMATS, help="checked against the header")
        parser.add_argument("--underlyings", default="", help="keep only these, e.g. NIFTY")

    def handle(self, *args, **options) -> None:
        underlyings = tuple(
            u.strip().upper() for u in options["underlyings"].split(",") if u.strip()
        )
        try:
            run = option_file_import(
                source=options["path"],
                fmt=options["format"],
                underlyings=underlyings,
                source_name=options["path"],
            )
        except (FileFormatError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"run {run.pk} {run.status} ({run.provider}, {run.timeframe}): received "
            f"{run.rows_received}, inserted {run.rows_inserted}, updated {run.rows_updated}, "
            f"unchanged {run.rows_unchanged}, rejected {run.rows_rejected}; contracts created "
            f"{run.options.get('contracts_created', 0)}; skipped/flagged "
            f"{run.anomalies.get('counts', {})}"
        )
