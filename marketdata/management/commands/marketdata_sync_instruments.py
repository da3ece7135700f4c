"""Sync the instrument master from a provider: ``manage.py marketdata_sync_instruments``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from marketdata.conf import md_setting
from marketdata.models import IngestionRun
from marketdata.services import ingestion_run_execute


class Command(BaseCommand):
    help = "Download the provider's security master and upsert index, futures and option rows."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--provider", default="dhan")
        parser.add_argument("--underlyings", default=",".join(md_setting("TRACKED_UNDERLYINGS")))

    def handle(self, *args, **options) -> None:
        underlyings = [u.strip().upper() for u in options["underlyings"].split(",") if u.strip()]
        run = IngestionRun.objects.create(
            kind=IngestionRun.Kind.INSTRUMENTS,
            provider=options["provider"],
            options={"underlyings": underlyings},
        )
        run = ingestion_run_execute(run_id=run.pk)
        if run.status != IngestionRun.Status.SUCCEEDED:
            raise CommandError(run.error)
        self.stdout.write(
            f"{run.rows_received} instruments: {run.rows_inserted} new, {run.rows_updated} updated"
        )
