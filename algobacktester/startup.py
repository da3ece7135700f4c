"""What an entry point prepares before Django reads settings (docs/adr/0002, 0009).

Importing settings creates nothing; ``manage.py``, ASGI/WSGI and the Celery app call
:func:`embedded_files_ensure` first, so embedded mode still finds its folders and keeps one
generated ``SECRET_KEY`` across restarts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .settings.env import env_str

BASE_DIR = Path(__file__).resolve().parent.parent


def var_dir() -> Path:
    return Path(env_str("VAR_DIR", str(BASE_DIR / "var")))


def embedded_secret_key_path() -> Path:
    return var_dir() / "secret_key"


def embedded_files_ensure() -> None:
    """``var/`` (SQLite, collected static files) and, unless ``SECRET_KEY`` is set, a key
    generated once. Safe to call from every process: the key file is created exclusively."""
    root = var_dir()
    (root / "static").mkdir(parents=True, exist_ok=True)
    if env_str("SECRET_KEY"):
        return
    try:
        fd = os.open(embedded_secret_key_path(), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process, or an earlier start, made it
        return
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(64))
