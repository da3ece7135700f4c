"""Create the demo user (idempotent). The password comes from DEMO_PASSWORD, or is
generated and printed once, when the user is first created."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management.base import BaseCommand

from algobacktester.accounts.models import User

DEMO_EMAIL = "demo@algobacktester.local"


class Command(BaseCommand):
    help = "Create the demo user and demo data for embedded mode."

    def handle(self, *args: Any, **options: Any) -> None:
        user, password = demo_user_ensure()
        if password:
            self.stdout.write(self.style.SUCCESS(f"Demo user: {DEMO_EMAIL}  password: {password}"))
            self.stdout.write("(shown once; set DEMO_PASSWORD to choose it)")
        else:
            self.stdout.write(f"Demo user {DEMO_EMAIL} exists (id {user.pk}).")


def demo_user_ensure() -> tuple[User, str | None]:
    """Return the demo user and, when just created, its password."""
    existing = User.objects.filter(email=DEMO_EMAIL).first()
    if existing:
        return existing, None
    password = os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)
    user = User.objects.create_user(DEMO_EMAIL, password, name="Demo Trader")
    return user, password
