"""Re-encrypt every broker account's credentials under the newest TRADES_CREDENTIALS_KEYS key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from trades.crypto import credentials_rotate
from trades.models import BrokerAccount


class Command(BaseCommand):
    help = __doc__

    def handle(self, *args: Any, **options: Any) -> None:
        rotated = 0
        try:
            with transaction.atomic():
                for account in BrokerAccount.objects.exclude(credentials="").select_for_update():
                    account.credentials = credentials_rotate(account.credentials)
                    account.save(update_fields=["credentials", "updated_at"])
                    rotated += 1
        except Exception as exc:  # an old key missing: nothing changed (one transaction)
            raise CommandError(
                f"rotation failed, nothing changed: {type(exc).__name__}: {exc}"
            ) from exc
        self.stdout.write(
            f"re-encrypted the credentials of {rotated} account(s) under the newest key"
        )
