"""Settings import no app code and create nothing; entry points prepare var/ once."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = {"backtests", "marketdata", "notifications", "strategies", "trades", "workers"}


def run_python(code: str, *, var_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    env["VAR_DIR"] = str(var_dir)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_importing_settings_creates_nothing(tmp_path: Path) -> None:
    var_dir = tmp_path / "fresh-var"
    result = run_python("import algobacktester.settings.base", var_dir=var_dir)
    assert result.returncode == 0, result.stderr
    assert not var_dir.exists()


def test_settings_import_no_app_code() -> None:
    for path in (ROOT / "algobacktester" / "settings").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not {n.split(".")[0] for n in names} & APPS, f"{path.name} imports {names}"
        assert "__import__" not in path.read_text(), path.name


def test_the_startup_step_makes_one_stable_embedded_key(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    code = (
        "from algobacktester.startup import embedded_files_ensure; embedded_files_ensure(); "
        "import algobacktester.settings.base as s; print(s.SECRET_KEY)"
    )
    first = run_python(code, var_dir=var_dir)
    second = run_python(code, var_dir=var_dir)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    key = (var_dir / "secret_key").read_text()
    assert first.stdout.strip() == second.stdout.strip() == key and len(key) >= 50
    assert (var_dir / "secret_key").stat().st_mode & 0o777 == 0o600
    assert (var_dir / "static").is_dir()


def test_manage_py_prepares_var_before_django_reads_settings(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECRET_KEY"))}
    env.update(VAR_DIR=str(var_dir), DATABASE_URL="")
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (var_dir / "secret_key").is_file() and (var_dir / "static").is_dir()


def test_the_celery_app_carries_routes_queues_and_the_beat_schedule() -> None:
    from algobacktester.celery import app
    from workers.schedule import BEAT_SCHEDULE

    assert app.conf.beat_schedule == BEAT_SCHEDULE
    assert app.conf.task_default_queue == "default"
    assert app.conf.timezone == "Asia/Kolkata"
