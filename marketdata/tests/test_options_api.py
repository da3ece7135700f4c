"""The options API: contracts and expiries for the leg picker, the IV input, and the staff
import and fetch endpoints."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketdata.models import ImpliedVolatility, IngestionRun, Instrument

from .test_options_chain import make_option
from .test_options_import import eod_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(make_user):
    from rest_framework.test import APIClient

    from algobacktester.accounts.tokens import token_pair

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_pair(make_user())['access']}")
    return client


def test_contracts_of_an_underlying_alive_on_a_day(user_client):
    make_option(21500, "CE")
    make_option(21500, "PE")
    make_option(21600, "CE", listed_on=date(2024, 1, 20))
    make_option(21500, "CE", expiry=date(2024, 1, 18))
    make_option(46000, "CE", underlying="BANKNIFTY")
    r = user_client.get(
        "/api/marketdata/options/contracts", {"underlying": "nifty", "on": "2024-01-19"}
    )
    assert r.status_code == 200
    body = r.json()
    assert [(c["strike"], c["option_type"], c["expiry"]) for c in body["results"]] == [
        ("21500.00", "CE", "2024-01-25"),
        ("21500.00", "PE", "2024-01-25"),
    ]
    assert body["results"][0]["lot_size"] == 50 and "listed_on" in body["results"][0]
    r = user_client.get(
        "/api/marketdata/options/contracts",
        {"underlying": "NIFTY", "right": "CE", "strike_min": 21550, "expiry": "2024-01-25"},
    )
    assert [c["symbol"] for c in r.json()["results"]] == ["NIFTY-2024-01-25-21600-CE"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "underlying"),
        ({"underlying": "NIFTY", "on": "soon"}, "on"),
        ({"underlying": "NIFTY", "right": "XX"}, "right"),
        ({"underlying": "NIFTY", "strike_min": 2, "strike_max": 1}, "strike_max"),
    ],
)
def test_bad_contract_queries_name_the_field(user_client, params, field):
    r = user_client.get("/api/marketdata/options/contracts", params)
    assert r.status_code == 400 and field in str(r.json())


def test_expiries_come_from_the_calendar_and_the_store(user_client):
    make_option(24500, "CE", expiry=date(2025, 9, 2))
    r = user_client.get(
        "/api/marketdata/options/expiries", {"underlying": "NIFTY", "on": "2025-08-25", "days": 40}
    )
    assert r.status_code == 200
    rows = {e["expiry"]: e for e in r.json()["expiries"]}
    # Thursday until August 2025, Tuesday from September; the monthly is the last Tuesday
    assert rows["2025-08-28"]["weekly"] and rows["2025-08-28"]["monthly"]
    assert rows["2025-09-02"] == {
        "expiry": "2025-09-02",
        "weekly": True,
        "monthly": False,
        "scheduled": True,
        "contracts": 1,
    }
    assert rows["2025-09-30"]["monthly"] and "2025-09-04" not in rows
    unknown = user_client.get(
        "/api/marketdata/options/expiries", {"underlying": "NOPE", "on": "2025-08-25"}
    ).json()
    assert unknown["calendar_known"] is False and unknown["expiries"] == []


def test_iv_api_answers_columns_and_its_source(user_client):
    at = datetime(2025, 8, 29, 4, 0, tzinfo=UTC)
    ImpliedVolatility.objects.create(
        underlying="NIFTY",
        ts=at,
        expiry=date(2025, 9, 2),
        strike=24500,
        iv=0.11,
        source="chain_snapshot",
    )
    r = user_client.get(
        "/api/marketdata/options/iv",
        {"underlying": "NIFTY", "start": "2025-08-29", "end": "2025-08-29"},
    )
    assert r.status_code == 200
    assert r.json() == {
        "underlying": "NIFTY",
        "source": "atm_iv",
        "count": 1,
        "t": [int(at.timestamp())],
        "iv": [0.11],
    }
    empty = user_client.get(
        "/api/marketdata/options/iv",
        {"underlying": "NIFTY", "start": "2020-01-01", "end": "2020-01-02"},
    ).json()
    assert empty["source"] is None and empty["t"] == []
    bad = user_client.get(
        "/api/marketdata/options/iv", {"underlying": "NIFTY", "start": "x", "end": "2020-01-02"}
    )
    assert bad.status_code == 400 and "start" in bad.json()["errors"][0]["field"]


def test_import_and_fetch_are_staff_only(user_client):
    upload = SimpleUploadedFile("eod.csv", eod_csv())
    assert user_client.post("/api/marketdata/options/import", {"file": upload}).status_code == 403
    r = user_client.post("/api/marketdata/options/fetch", {"underlying": "NIFTY"}, format="json")
    assert r.status_code == 403


def test_staff_import_an_option_file(staff_client):
    upload = SimpleUploadedFile("eod.csv.gz", __import__("gzip").compress(eod_csv()))
    r = staff_client.post(
        "/api/marketdata/options/import", {"file": upload, "format": "nse-eod"}, format="multipart"
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["kind"], body["status"], body["rows_inserted"], body["rows_rejected"]) == (
        "option_file",
        "succeeded",
        2,
        4,
    )
    bad = staff_client.post(
        "/api/marketdata/options/import",
        {"file": SimpleUploadedFile("x.csv", b"a,b\n1,2\n")},
        format="multipart",
    )
    assert bad.status_code == 400 and "format" in str(bad.json())


def test_staff_queue_a_rolling_fetch(fake_dhan, staff_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_client.post(
            "/api/marketdata/options/fetch",
            {
                "underlying": "NIFTY",
                "start": "2025-09-03",
                "end": "2025-09-03",
                "strikes": 0,
                "rights": ["PE"],
                "timeframe": "1h",
            },
            format="json",
        )
    assert r.status_code == 202, r.json()
    run = IngestionRun.objects.get(pk=r.json()["id"])
    assert run.kind == "option_fetch" and run.status == "succeeded", run.error
    assert Instrument.objects.filter(kind="option", option_type="PE").exists()
    bad = staff_client.post(
        "/api/marketdata/options/fetch",
        {"underlying": "NIFTY", "start": "2025-09-03", "end": "2025-09-03", "timeframe": "3m"},
        format="json",
    )
    assert bad.status_code == 400 and "timeframe" in str(bad.json())
