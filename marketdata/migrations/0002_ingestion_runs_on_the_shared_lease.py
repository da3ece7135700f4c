"""Ingestion runs move onto workers.leases.LeasedJob (docs/adr/0008-leases.md).

``lease_expires_at`` is renamed ``lease_until`` (same meaning); ``attempts`` widens to the
shared integer type; ``lease_holder`` is new. A run left ``running`` without a lease (file
imports from before they had one) gets the lease it would have had, so the reaper can close it.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F

OLD_RUN_LEASE = timedelta(seconds=1800)


def lease_legacy_running_runs(apps, schema_editor):
    runs = apps.get_model("marketdata", "IngestionRun").objects
    runs.filter(status="running", lease_until__isnull=True).update(
        lease_until=F("created_at") + OLD_RUN_LEASE
    )


class Migration(migrations.Migration):
    dependencies = [
        ("marketdata", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(
            model_name="ingestionrun", old_name="lease_expires_at", new_name="lease_until"
        ),
        # The database renames the column inside the index; only the state needs telling.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="ingestionrun", name="md_run_lease"),
                migrations.AddIndex(
                    model_name="ingestionrun",
                    index=models.Index(fields=["status", "lease_until"], name="md_run_lease"),
                ),
            ]
        ),
        migrations.AlterField(
            model_name="ingestionrun",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="ingestionrun",
            name="lease_holder",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(lease_legacy_running_runs, migrations.RunPython.noop),
    ]
