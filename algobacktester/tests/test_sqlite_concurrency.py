"""Embedded mode's SQLite under concurrent writers: they wait for each other instead of
failing with "database is locked" (settings.SQLITE_OPTIONS: WAL, IMMEDIATE, busy timeout).

Runs in a subprocess with embedded settings (no DATABASE_URL), on its own database file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import sys, threading
import django
django.setup()
from django.db import connection, transaction

THREADS, WRITES = 8, 25
with connection.cursor() as c:
    c.execute("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)")
    c.execute("INSERT INTO counter VALUES (1, 0)")
failures = []
start = threading.Barrier(THREADS)

def writer():
    start.wait()
    try:
        for _ in range(WRITES):
            # read, then write in one transaction: the pattern of a request that looks a row
            # up and then saves (what "database is locked" hit under concurrent POSTs)
            with transaction.atomic(), connection.cursor() as c:
                c.execute("SELECT n FROM counter WHERE id = 1")
                n = c.fetchone()[0]
                c.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
    except Exception as exc:
        failures.append(repr(exc))
    finally:
        connection.close()

threads = [threading.Thread(target=writer) for _ in range(THREADS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with connection.cursor() as c:
    c.execute("SELECT n FROM counter WHERE id = 1")
    total = c.fetchone()[0]
print(total, failures[:3])
sys.exit(1 if failures or total != THREADS * WRITES else 0)
"""


def test_concurrent_writers_wait_instead_of_failing(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SETTINGS_MODULE": "algobacktester.settings.base",
        "VAR_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-2000:]
    assert done.stdout.split()[0] == "200"
