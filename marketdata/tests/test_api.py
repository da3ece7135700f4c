"""The market-data API: auth, columnar candles, caps, errors that name fields, uploads."""

from __future__ import annotations

import gzip
import io

import pandas as pd
import pytest

from marketdata import services
from marketdata.models import Candle, IngestionRun, QuarantinedCandle, TrackedInstrument

from .conftest import small_frame

pytestmark = pytest.mark.django_db
BASE = "/api/marketdata"


@pytest.fixture
def stored(nifty):
    services.candles_ingest(instrument=nifty, timeframe="1m", frame=small_frame(days=2))
    return nifty


def _csv(rows: int = 30, **overrides) -> bytes:
    f = small_frame(days=1)
    df = pd.DataFrame(
        {
            "datetime": pd.to_datetime(f.ts[:rows])
            .tz_localize("UTC")
            .tz_convert("Asia/Kolkata")
            .strftime("%Y-%m-%d %H:%M:%S"),
            "open": f.open[:rows],
            "high": f.high[:rows],
            "low": f.low[:rows],
            "close": f.close[:rows],
            "volume": f.volume[:rows],
        }
    )
    for k, v in overrides.items():
        df[k] = v
    return df.to_csv(index=False).encode()


def _upload(client, instrument, content: bytes, name: str = "bars.csv", **data):
    return client.post(
        f"{BASE}/instruments/{instrument.pk}/import",
        {"file": io.BytesIO(content), "timeframe": "1m", **data} | {"file": _named(content, name)},
        format="multipart",
    )


def _named(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_reads_need_authentication(api_client, stored):
    for path in (
        f"{BASE}/instruments",
        f"{BASE}/instruments/{stored.pk}/candles?start=2024-01-02&end=2024-01-02",
    ):
        response = api_client.get(path)
        assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_instrument_list_search_and_detail(auth_client, stored):
    services.instrument_index_get_or_create(symbol="BANKNIFTY")
    body = auth_client.get(f"{BASE}/instruments?search=bank&page_size=1").json()
    assert body["count"] == 1 and body["results"][0]["symbol"] == "BANKNIFTY"
    assert auth_client.get(f"{BASE}/instruments?kind=index").json()["count"] == 2
    detail = auth_client.get(f"{BASE}/instruments/{stored.pk}").json()
    assert (
        detail["lot_size"] > 0
        and detail["stored"][0]["timeframe"] == "1m"
        and detail["stored"][0]["count"] == 750
    )
    assert auth_client.get(f"{BASE}/instruments/999999").status_code == 404
    assert (
        auth_client.get(
            f"{BASE}/instruments/{10**30}/candles?start=2024-01-02&end=2024-01-03"
        ).status_code
        == 404
    )


def test_candles_are_columnar_and_resampled(auth_client, stored):
    r = auth_client.get(
        f"{BASE}/instruments/{stored.pk}/candles?timeframe=1m&start=2024-01-02&end=2024-01-02"
    )
    body = r.json()
    assert r.status_code == 200 and body["count"] == 375 and set("tohlcv") <= set(body)
    assert body["t"][0] == 1704167100  # 2024-01-02 09:15 IST in epoch seconds
    r = auth_client.get(
        f"{BASE}/instruments/{stored.pk}/candles?timeframe=1h&start=2024-01-02&end=2024-01-03"
    )
    body = r.json()
    assert (
        body["source_timeframe"] == "1m"
        and body["count"] == 14
        and body["t"][1] - body["t"][0] == 3600
    )
    day = auth_client.get(
        f"{BASE}/instruments/{stored.pk}/candles?timeframe=1d&start=2024-01-02&end=2024-01-03"
    ).json()
    assert day["count"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("timeframe=7m&start=2024-01-02&end=2024-01-03", "timeframe"),
        ("start=yesterday&end=2024-01-03", "start"),
        ("start=2024-01-05&end=2024-01-03", "end"),
        ("start=2024-01-02&end=99999-01-01", "end"),
        ("start=0001-01-01&end=2024-01-03", "start"),
        ("end=2024-01-03", "start"),
        ("start=2024-13-45&end=2024-01-03", "start"),
    ],
)
def test_bad_candle_queries_name_the_field(auth_client, stored, query, field):
    r = auth_client.get(f"{BASE}/instruments/{stored.pk}/candles?{query}")
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["field"] == field


def test_bar_cap_is_a_400_naming_end(auth_client, stored, settings):
    settings.MARKETDATA = {**settings.MARKETDATA, "MAX_BARS_PER_RESPONSE": 100}
    r = auth_client.get(f"{BASE}/instruments/{stored.pk}/candles?start=2024-01-02&end=2024-01-03")
    assert (
        r.status_code == 400
        and r.json()["errors"][0]["field"] == "end"
        and "100" in r.json()["detail"]
    )
    assert (
        auth_client.get(
            f"{BASE}/instruments/{stored.pk}/candles?timeframe=1h&start=2024-01-02&end=2024-01-03"
        ).status_code
        == 200
    )


def test_health_report(auth_client, stored):
    Candle.objects.filter(
        instrument=stored, ts__gte="2024-01-02T05:00Z", ts__lt="2024-01-02T05:10Z"
    ).delete()
    r = auth_client.get(f"{BASE}/instruments/{stored.pk}/health?timeframe=1m")
    body = r.json()
    assert r.status_code == 200 and body["missing_bars"] == 10 and body["gap_count"] == 1
    assert body["gaps"][0]["start"] == "2024-01-02T10:30+05:30" and 0.98 < body["coverage"] < 1
    assert body["last_run"] is None and body["stale"] is True
    empty = auth_client.get(f"{BASE}/instruments/{stored.pk}/health?timeframe=1d").json()
    assert empty["bars"] == 0


def test_writes_are_staff_only(auth_client, stored):
    candles = Candle.objects.count()
    upload = _upload(auth_client, stored, _csv())
    assert upload.status_code == 403 and upload.json()["code"] == "permission_denied"
    r = auth_client.post(
        f"{BASE}/instruments/{stored.pk}/backfill",
        {"start": "2024-01-01", "end": "2024-01-05"},
        format="json",
    )
    assert r.status_code == 403
    assert auth_client.get(f"{BASE}/ingestion-runs").status_code == 403
    assert (
        auth_client.post(f"{BASE}/tracked", {"instrument": stored.pk}, format="json").status_code
        == 403
    )
    assert Candle.objects.count() == candles  # nothing written by any of them
    assert not IngestionRun.objects.exists() and not TrackedInstrument.objects.exists()


def test_upload_csv_imports_and_records_the_run(staff_client, nifty):
    r = _upload(staff_client, nifty, _csv(rows=60))
    assert r.status_code == 201, r.content
    run = r.json()
    assert (run["status"], run["rows_inserted"], run["requested_by"]) == (
        "succeeded",
        60,
        staff_client.user.pk,
    )
    again = _upload(staff_client, nifty, gzip.compress(_csv(rows=60)), name="bars.csv.gz").json()
    assert again["rows_inserted"] == 0 and again["rows_unchanged"] == 60


def test_upload_bar_end_labels_and_mapping(staff_client, nifty):
    content = _csv(rows=5).replace(b"datetime,open", b"When,Open")
    r = _upload(staff_client, nifty, content, mapping="time=When,open=Open", label="end")
    assert r.status_code == 201, r.content
    first = Candle.objects.filter(instrument=nifty).order_by("ts").first()
    assert first.ts.isoformat() == "2024-01-02T03:44:00+00:00"  # 09:15 bar-end -> 09:14 start


def test_upload_parquet(staff_client, nifty):
    pytest.importorskip("pyarrow")
    df = pd.read_csv(io.BytesIO(_csv(rows=20)))
    buf = io.BytesIO()
    df.to_parquet(buf)
    r = _upload(staff_client, nifty, buf.getvalue(), name="bars.parquet")
    assert r.status_code == 201 and r.json()["rows_inserted"] == 20


def test_bad_numbers_are_quarantined_not_dropped(staff_client, nifty):
    content = _csv(rows=10).decode().splitlines()
    cells = content[3].split(",")
    cells[4] = "n/a"
    content[3] = ",".join(cells)
    content.append("not-a-time,1,2,0.5,1,10")
    r = _upload(staff_client, nifty, ("\n".join(content) + "\n").encode())
    assert r.status_code == 201, r.content
    assert r.json()["rows_rejected"] == 2 and r.json()["rows_inserted"] == 9
    assert set(QuarantinedCandle.objects.values_list("reason", flat=True)) == {
        "non_numeric",
        "unparseable",
    }


@pytest.mark.parametrize(
    ("content", "data", "field"),
    [
        (b"datetime,open,high,low\n2024-01-02 09:15:00,1,2,0.5\n", {}, "mapping"),
        (b"datetime,open,high,low,close\n2024-01-02 09:15:00,a,b,c,d\n", {}, "mapping"),
        (
            "datetime,open,high,low,close\n2024-01-02 09:15:00,1,2,0.5,1\n".encode("utf-16"),
            {},
            "file",
        ),
        (b"\xff\xfe\x00garbage\x81\x82", {}, "file"),
        (b"", {}, "file"),
        (b"datetime,open,high,low,close\nxx,1,2,0.5,1\nyy,1,2,0.5,1\n", {}, "time_column"),
        (
            b"datetime,open,high,low,close\n2024-01-02 09:15:00,1,2,0.5,1\n",
            {"timezone": "Mars/Olympus"},
            "timezone",
        ),
        (
            b"datetime,open,high,low,close\n2024-01-02 09:15:00,1,2,0.5,1\n",
            {"mapping": "when"},
            "mapping",
        ),
        (b"PAR1 not really parquet", {}, "file"),
        (b"\x1f\x8b\x08\x00broken", {}, "file"),
    ],
)
def test_bad_files_are_400s_naming_the_field(staff_client, nifty, content, data, field):
    r = _upload(staff_client, nifty, content, **data)
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["field"] == field


def test_upload_size_cap(staff_client, nifty, settings):
    settings.MARKETDATA = {**settings.MARKETDATA, "UPLOAD_MAX_BYTES": 100}
    r = _upload(staff_client, nifty, _csv(rows=30))
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "file"


def test_backfill_synthetic_and_tracked_crud(
    staff_client, nifty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_client.post(
            f"{BASE}/instruments/{nifty.pk}/backfill",
            {
                "timeframe": "5m",
                "start": "2024-01-01",
                "end": "2024-01-05",
                "provider": "synthetic",
            },
            format="json",
        )
    assert r.status_code == 202
    runs = staff_client.get(f"{BASE}/ingestion-runs?status=succeeded").json()
    assert runs["count"] == 1 and runs["results"][0]["rows_inserted"] == 5 * 75
    bad = staff_client.post(
        f"{BASE}/instruments/{nifty.pk}/backfill",
        {"start": "2024-01-01", "end": "2024-01-05", "provider": "nope"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "provider"
    huge = staff_client.post(
        f"{BASE}/instruments/{nifty.pk}/backfill",
        {"start": "1990-01-01", "end": "2024-01-05", "provider": "synthetic"},
        format="json",
    )
    assert huge.status_code == 400 and huge.json()["errors"][0]["field"] == "start"
    t = staff_client.post(
        f"{BASE}/tracked",
        {"instrument": nifty.pk, "timeframe": "1d", "provider": "synthetic"},
        format="json",
    )
    assert t.status_code == 201
    assert staff_client.get(f"{BASE}/tracked").json()["count"] == 1
    refused = staff_client.post(
        f"{BASE}/tracked",
        {"instrument": nifty.pk, "timeframe": "3m", "provider": "dhan"},
        format="json",
    )
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == "timeframe"
    assert TrackedInstrument.objects.count() == 1
    assert staff_client.delete(f"{BASE}/tracked/{t.json()['id']}").status_code == 204
    assert not TrackedInstrument.objects.exists()
    assert staff_client.delete(f"{BASE}/tracked/{t.json()['id']}").status_code == 404


def test_paths_have_no_trailing_slash(auth_client, stored):
    response = auth_client.get(f"{BASE}/instruments/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_admin_health_page(client, make_user, stored):
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    r = client.get(f"/admin/marketdata/instrument/{stored.pk}/health/")
    assert r.status_code == 200 and b"Coverage" in r.content
    assert client.get("/admin/marketdata/ingestionrun/").status_code == 200
    assert client.get("/admin/marketdata/quarantinedcandle/").status_code == 200


def test_candle_and_health_times_carry_the_users_offset(auth_client, stored):
    url = f"{BASE}/instruments/{stored.pk}/candles?start=2024-01-02&end=2024-01-02"
    body = auth_client.get(url).json()
    assert body["start"] == "2024-01-02T00:00:00+05:30"
    assert body["end"] == "2024-01-03T00:00:00+05:30"
    health = auth_client.get(f"{BASE}/instruments/{stored.pk}/health?timeframe=1m").json()
    assert health["stored_first"].endswith("+05:30")
    auth_client.patch("/api/auth/me", {"timezone": "UTC"}, format="json")
    assert auth_client.get(url).json()["start"] == "2024-01-01T18:30:00+00:00"


# --- uploads that fail or carry impossible times --------------------------------------------
UPLOAD_HEADER = b"datetime,open,high,low,close,volume\n"


def test_mixed_utc_offsets_are_a_400_naming_the_time_column_and_fail_the_run(staff_client, nifty):
    from marketdata.models import IngestionRun

    content = UPLOAD_HEADER + (
        b"2024-01-02T09:15:00+05:30,1,2,0.5,1,10\n2024-01-02T03:46:00Z,1,2,0.5,1,10\n"
    )
    r = _upload(staff_client, nifty, content)
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0]["field"] == "time_column"
    run = IngestionRun.objects.get(kind="file")
    assert run.status == "failed" and run.finished_at and run.lease_until is None


def test_upload_of_impossible_epochs_stores_no_bars(staff_client, nifty):
    from datetime import UTC, datetime

    good = b"1704166500,1,2,0.5,1,10\n1704166560,1,2,0.5,1,10\n1704166620,1,2,0.5,1,10\n"
    content = UPLOAD_HEADER + good + b"5,1,2,0.5,1,10\n6,1,2,0.5,1,10\n1e30,1,2,0.5,1,10\n"
    r = _upload(staff_client, nifty, content)
    assert r.status_code == 201, r.content
    assert r.json()["rows_inserted"] == 3 and r.json()["rows_rejected"] == 3
    assert not Candle.objects.filter(ts__lt=datetime(1990, 1, 1, tzinfo=UTC)).exists()
    reasons = sorted(QuarantinedCandle.objects.values_list("reason", flat=True))
    assert reasons == ["out_of_range", "out_of_range", "unparseable"]


# --- tracking, backfill conflicts, health, 404s ---------------------------------------------
def test_tracking_needs_a_provider_that_fetches_history(staff_client, nifty):
    from marketdata.models import TrackedInstrument

    r = staff_client.post(
        f"{BASE}/tracked",
        {"instrument": nifty.pk, "timeframe": "1m", "provider": "file"},
        format="json",
    )
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "provider"
    assert not TrackedInstrument.objects.exists()


def test_backfill_of_another_range_while_active_is_a_409(staff_client, nifty):
    from unittest import mock

    from marketdata.models import IngestionRun

    body = {"timeframe": "5m", "start": "2024-01-01", "end": "2024-01-05", "provider": "synthetic"}
    with mock.patch("marketdata.tasks.ingestion_run_execute_task.delay"):
        assert (
            staff_client.post(
                f"{BASE}/instruments/{nifty.pk}/backfill", body, format="json"
            ).status_code
            == 202
        )
        r = staff_client.post(
            f"{BASE}/instruments/{nifty.pk}/backfill", body | {"end": "2024-01-09"}, format="json"
        )
    assert r.status_code == 409, r.content
    assert r.json()["errors"][0]["field"] in ("start", "end")
    assert IngestionRun.objects.count() == 1


def test_health_shows_run_errors_to_staff_only(auth_client, staff_client, nifty):
    from marketdata.models import IngestionRun

    services.candles_ingest(instrument=nifty, timeframe="1m", frame=small_frame(days=1))
    IngestionRun.objects.create(
        kind="fetch",
        provider="dhan",
        instrument=nifty,
        timeframe="1m",
        status="failed",
        error="Traceback: secret internals",
    )
    url = f"{BASE}/instruments/{nifty.pk}/health?timeframe=1m"
    plain = auth_client.get(url).json()["last_run"]
    assert plain["status"] == "failed" and "error" not in plain
    assert staff_client.get(url).json()["last_run"]["error"] == "Traceback: secret internals"


def test_max_id_has_one_definition():
    from algobacktester.api import converters
    from marketdata import selectors

    assert selectors.MAX_ID is converters.MAX_ID


def test_deleting_a_missing_tracked_row_is_a_404(staff_client):
    response = staff_client.delete(f"{BASE}/tracked/987654")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_tracking_takes_the_instrument_by_symbol(staff_client, nifty):
    r = staff_client.post(
        f"{BASE}/tracked", {"instrument": "nifty", "provider": "synthetic"}, format="json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["instrument"] == nifty.pk
    unknown = staff_client.post(f"{BASE}/tracked", {"instrument": "NOPE"}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["field"] == "instrument"


def test_a_failed_import_with_nul_in_its_error_is_closed(staff_client, nifty):
    """The error text quotes the file; PostgreSQL refuses NUL, so the run once stayed running."""
    from marketdata.models import IngestionRun

    content = _csv(rows=5).replace(b"datetime,open", b"date\x00time,open")
    r = _upload(staff_client, nifty, content)
    assert r.status_code == 400, r.content
    run = IngestionRun.objects.get(kind=IngestionRun.Kind.FILE)
    assert run.status == IngestionRun.Status.FAILED
    assert "\x00" not in run.error and "\\u0000" in run.error


@pytest.mark.parametrize(
    ("field", "data", "name"),
    [("label", {"label": "st\x00art"}, "bars.csv"), ("mapping", {"mapping": "a\x00=b"}, "b.csv")],
)
def test_nul_in_a_form_field_is_refused_before_any_field_reads_it(
    staff_client, nifty, field, data, name
):
    from marketdata.models import IngestionRun

    r = _upload(staff_client, nifty, _csv(rows=5), name=name, **data)
    assert r.status_code == 400, r.content
    assert r.json()["errors"][0] == {
        "field": field,
        "message": "this text must not contain NUL characters",
        "code": "invalid",
    }
    assert not IngestionRun.objects.exists()


def _one_second_frame(n: int = 90):
    """``n`` one-second bars from 2024-01-02 09:15:00 IST, close = index."""
    import numpy as np

    from engine.bars import Bars
    from marketdata.frames import BarFrame

    t0 = 1704167100 * 1_000_000_000  # 2024-01-02 09:15 IST
    c = np.arange(n, dtype=float) + 100
    bars = Bars.from_arrays(t0 + np.arange(n) * 1_000_000_000, c, c + 0.5, c - 0.5, c, c * 0 + 1)
    return BarFrame.from_bars(bars)


def test_one_second_bars_are_stored_and_resampled_to_sub_minute_timeframes(auth_client, nifty):
    result = services.candles_ingest(instrument=nifty, timeframe="1s", frame=_one_second_frame())
    assert Candle.objects.filter(instrument=nifty, timeframe="1s").count() == 90, result
    q = f"{BASE}/instruments/{nifty.pk}/candles?start=2024-01-02&end=2024-01-02&timeframe="
    body = auth_client.get(q + "1s").json()
    assert body["count"] == 90 and body["t"][1] - body["t"][0] == 1
    body = auth_client.get(q + "15s").json()
    assert body["source_timeframe"] == "1s" and body["count"] == 6
    assert body["t"][1] - body["t"][0] == 15
    assert body["o"][1] == 115 and body["h"][1] == 129.5 and body["v"][1] == 15
