"""Fetch expired option premiums from Dhan:
``manage.py marketdata_options_fetch --underlying NIFTY --start 2025-01-01 --end 2025-03-31``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from algobacktester.errors import ApplicationError
from marketdata.services.options import option_premiums_fetch

from ._common import validation_message


def _csv(text: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in text.split(",") if p.strip())


class Command(BaseCommand):
    help = (
        "Fetch ATM±n premiums of expired (and live) option series from Dhan's rolling data "
        "(30 days a call, under the account's rate limit) and store them as candles of the "
        "contracts they belong to; run here, or --queue it for a worker."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--underlying", required=True, help="NIFTY, BANKNIFTY, ...")
        parser.add_argument("--start", required=True, help="date or datetime (naive = IST)")
        parser.add_argument("--end", required=True, help="date (inclusive) or datetime")
        parser.add_argument("--expiry-flag", default="WEEK", help="WEEK or MONTH")
        parser.add_argument("--expiry-codes", default="0", help="0 nearest, 1 next, 2 far: 0,1")
        parser.add_argument("--strikes", type=int, default=3, help="ATM and n each side (≤ 10)")
        parser.add_argument("--rights", default="CE,PE")
        parser.add_argument("--timeframe", default="1m", help="1m, 5m, 15m, 25m or 1h")
        parser.add_argument("--provider", default="dhan")
        parser.add_argument("--queue", action="store_true", help="enqueue instead of running here")

    def handle(self, *args, **options) -> None:
        try:
            codes = tuple(int(c) for c in _csv(options["expiry_codes"]))
        except ValueError as exc:
            raise CommandError(f"--expiry-codes: {exc}") from exc
        try:
            run = option_premiums_fetch(
                underlying=options["underlying"],
                start=options["start"],
                end=options["end"],
                expiry_flag=options["expiry_flag"],
                expiry_codes=codes,
                strikes=options["strikes"],
                rights=_csv(options["rights"]),
                timeframe=options["timeframe"],
                provider=options["provider"],
                run_now=not options["queue"],
            )
        except ApplicationError as exc:
            raise CommandError(validation_message(exc)) from exc
        self.stdout.write(
            f"run {run.pk} {run.status}: calls {run.options.get('calls_done', 0)}, inserted "
            f"{run.rows_inserted}, updated {run.rows_updated}, rejected {run.rows_rejected}"
            f"{'; error: ' + run.error if run.error else ''}"
        )
        if run.status == "failed":
            raise CommandError(run.error)
