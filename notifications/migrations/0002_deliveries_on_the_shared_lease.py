"""Deliveries move onto workers.leases.LeasedJob (docs/adr/0008-leases.md).

``attempts`` widens to the shared integer type; ``lease_until`` and ``lease_holder`` are new. A
delivery already ``sending`` gets the lease it had implicitly (15 minutes after the claim, which
``updated_at`` recorded), so the reaper closes it exactly when it used to.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models import F

SENDING_GIVE_UP = timedelta(seconds=900)


def lease_sending_deliveries(apps, schema_editor):
    deliveries = apps.get_model("notifications", "Delivery").objects
    deliveries.filter(status="sending").update(lease_until=F("updated_at") + SENDING_GIVE_UP)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="delivery",
            name="attempts",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="delivery",
            name="lease_until",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="delivery",
            name="lease_holder",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(lease_sending_deliveries, migrations.RunPython.noop),
    ]
