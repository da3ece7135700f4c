"""Refresh tokens already in simplejwt's outstanding-token table become digests
(docs/adr/0003-revocable-jwt.md). New rows are hashed as they are saved."""

import hashlib

from django.db import migrations

PREFIX = "sha256:"


def hash_tokens(apps, schema_editor):
    OutstandingToken = apps.get_model("token_blacklist", "OutstandingToken")
    plain = OutstandingToken.objects.exclude(token__startswith=PREFIX).only("pk", "token")
    batch = []
    for row in plain.iterator(chunk_size=1000):
        row.token = PREFIX + hashlib.sha256(row.token.encode()).hexdigest()
        batch.append(row)
        if len(batch) == 1000:
            OutstandingToken.objects.bulk_update(batch, ["token"])
            batch = []
    OutstandingToken.objects.bulk_update(batch, ["token"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]

    # A digest cannot be turned back into a token: reversing leaves the digests in place.
    operations = [migrations.RunPython(hash_tokens, migrations.RunPython.noop)]
