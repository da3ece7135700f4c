"""Backtest runs and sweep chunks move onto workers.leases.LeasedJob (docs/adr/0008-leases.md).

Renames keep the data: ``attempt`` → ``attempts``, ``worker`` → ``lease_holder``, and a chunk's
``claimed_at`` (when it was claimed) becomes ``lease_until`` (when its lease lapses), shifted
by the 900 s a chunk's claim used to last, so a chunk in flight keeps the time it had.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F

OLD_CHUNK_LEASE = timedelta(seconds=900)


def claim_time_to_lease_end(apps, schema_editor):
    chunks = apps.get_model("backtests", "SweepChunk").objects.filter(lease_until__isnull=False)
    chunks.update(lease_until=F("lease_until") + OLD_CHUNK_LEASE)


def lease_end_to_claim_time(apps, schema_editor):
    chunks = apps.get_model("backtests", "SweepChunk").objects.filter(lease_until__isnull=False)
    chunks.update(lease_until=F("lease_until") - OLD_CHUNK_LEASE)


HOLDER = models.CharField(blank=True, max_length=200)


class Migration(migrations.Migration):
    dependencies = [
        ("backtests", "0003_run_rejected_entries"),
    ]

    operations = [
        migrations.RenameField(model_name="backtestrun", old_name="attempt", new_name="attempts"),
        migrations.RenameField(model_name="backtestrun", old_name="worker", new_name="lease_holder"),
        migrations.RenameField(model_name="sweepchunk", old_name="claimed_at", new_name="lease_until"),
        migrations.AddField(model_name="sweepchunk", name="lease_holder", field=HOLDER),
        migrations.RunPython(claim_time_to_lease_end, lease_end_to_claim_time),
    ]
