"""Management commands: import (with tqdm), backfill, export, health, seed, sync."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from marketdata.models import Candle, Instrument

from .test_api import _csv

pytestmark = pytest.mark.django_db


def _call(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_import_export_and_health(tmp_path):
    src = tmp_path / "bars.csv"
    src.write_bytes(_csv(rows=40))
    assert "inserted 40" in _call(
        "marketdata_import", str(src), "--symbol", "NIFTY", "--no-progress"
    )
    assert Instrument.objects.get(symbol="NIFTY").kind == "index"
    out = _call(
        "marketdata_export",
        "--symbol",
        "NIFTY",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-02",
        "--timeframe",
        "5m",
        "--format",
        "json",
    )
    body = json.loads(out)
    assert len(body["t"]) == 8 and body["o"][0] == pytest.approx(
        Candle.objects.order_by("ts").first().open
    )
    dest = tmp_path / "out.csv"
    _call(
        "marketdata_export",
        "--symbol",
        "NIFTY",
        "--start",
        "2024-01-02",
        "--end",
        "2024-01-02",
        "-o",
        str(dest),
    )
    assert dest.read_text().splitlines()[1].startswith("2024-01-02T09:15:00+05:30")
    report = json.loads(_call("marketdata_health", "--symbol", "NIFTY"))
    assert report["bars"] == 40 and report["missing_bars"] == 375 - 40


def test_command_errors_are_clean(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"a,b\n1,2\n")
    with pytest.raises(CommandError, match="mapping"):
        _call("marketdata_import", str(bad), "--symbol", "NIFTY", "--no-progress")
    with pytest.raises(CommandError, match="start"):
        _call("marketdata_backfill", "--symbol", "NIFTY", "--start", "later", "--end", "2024-01-05")
    with pytest.raises(CommandError, match="no instrument"):
        _call(
            "marketdata_export", "--symbol", "NOPE", "--start", "2024-01-02", "--end", "2024-01-03"
        )


def test_backfill_and_seed_commands():
    out = _call(
        "marketdata_backfill",
        "--symbol",
        "BANKNIFTY",
        "--timeframe",
        "1d",
        "--start",
        "2024-01-01",
        "--end",
        "2024-03-31",
        "--provider",
        "synthetic",
    )
    assert "succeeded" in out and Candle.objects.filter(timeframe="1d").count() > 55
    assert "NIFTY: 750 bars" in _call("marketdata_seed_demo", "--symbols", "NIFTY", "--days", "2")


def test_sync_instruments_command(fake_dhan):
    out = _call("marketdata_sync_instruments", "--underlyings", "NIFTY,BANKNIFTY")
    assert "15 instruments" in out
    assert Instrument.objects.get(symbol="BANKNIFTY").security_id == "25"


def test_options_import_and_fetch_commands(tmp_path, fake_dhan):
    from .test_options_import import eod_csv

    src = tmp_path / "eod.csv"
    src.write_bytes(eod_csv())
    out = _call("marketdata_options_import", str(src), "--format", "nse-eod")
    assert "succeeded (nse-eod, 1d)" in out and "inserted 2" in out and "rejected 4" in out
    with pytest.raises(CommandError, match="not chain-snapshots"):
        _call("marketdata_options_import", str(src), "--format", "chain-snapshots")
    out = _call(
        "marketdata_options_fetch",
        *("--underlying", "NIFTY", "--start", "2025-09-03", "--end", "2025-09-03"),
        *("--strikes", "0", "--rights", "CE", "--timeframe", "1h"),
    )
    assert "succeeded: calls 1, inserted 7" in out
    with pytest.raises(CommandError, match="strikes"):
        _call(
            "marketdata_options_fetch",
            *("--underlying", "NIFTY", "--start", "2025-09-03", "--end", "2025-09-03"),
            *("--strikes", "12"),
        )
    fake_dhan.fail_next(401, {"errorCode": "DH-901", "errorMessage": "expired"})
    with pytest.raises(CommandError, match="DH-901"):
        _call(
            "marketdata_options_fetch",
            *("--underlying", "NIFTY", "--start", "2025-09-03", "--end", "2025-09-03"),
            *("--strikes", "0", "--rights", "PE", "--timeframe", "1h"),
        )
