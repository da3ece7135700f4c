"""A scratch PostgreSQL database for a benchmark: made empty before, dropped after.

Benchmarks that need the services mode create their own database (never the test or the
app's one), so a run measures a known, empty store and leaves nothing behind.
"""

from __future__ import annotations

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def admin():
    import psycopg

    return psycopg.connect(ADMIN_URL, autocommit=True)


def recreate(name: str) -> None:
    with admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop(name: str) -> None:
    """Close this process's Django connections first, then drop (FORCE ends any others)."""
    from django.db import connections

    connections.close_all()
    with admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
