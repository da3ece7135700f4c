"""The Dhan adapter against a local fake server (the real dhanhq SDK does the HTTP)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest
from limits.storage import MemoryStorage

from algobacktester.ratelimits import AccountLimiter
from marketdata.models import Instrument
from marketdata.providers import ProviderError
from marketdata.providers.dhan import DhanProvider, security_master_parse
from marketdata.services import instrument_ref

from .fake_dhan import AUTH_ERROR, NO_DATA, RATE_LIMIT, SERVER_ERROR

pytestmark = pytest.mark.django_db


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _provider(fake, **kw) -> DhanProvider:
    clock = FakeClock()
    limiter = AccountLimiter(key="dhan:test:data", limits="5/second", storage=MemoryStorage())
    return DhanProvider(limiter=limiter, sleep=clock.sleep, **kw)


def test_intraday_history_in_90_day_chunks(fake_dhan, nifty):
    p = _provider(fake_dhan)
    start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 7, 1, tzinfo=UTC)
    chunks = p.chunks(start=start, end=end)
    assert len(chunks) == 3 and all((b - a).days <= 90 for a, b in chunks)
    frame = p.fetch(
        instrument=instrument_ref(nifty), timeframe="5m", start=chunks[0][0], end=chunks[0][1]
    )
    body = fake_dhan.requests[-1]
    assert body["path"] == "/v2/charts/intraday"
    assert body["payload"]["securityId"] == "13" and body["payload"]["exchangeSegment"] == "IDX_I"
    assert body["payload"]["instrument"] == "INDEX" and body["payload"]["interval"] == 5
    assert body["payload"]["fromDate"] == "2024-01-01"
    assert body["headers"]["access-token"] == "canary-token-do-not-log"
    assert len(frame) > 60 * 75 and frame.ts.min() >= int(chunks[0][0].timestamp()) * 10**9


def test_daily_history_uses_the_historical_endpoint(fake_dhan, nifty):
    frame = _provider(fake_dhan).fetch(
        instrument=instrument_ref(nifty),
        timeframe="1d",
        start=datetime(2024, 1, 1, tzinfo=UTC),
        end=datetime(2024, 2, 1, tzinfo=UTC),
    )
    assert fake_dhan.requests[-1]["path"] == "/v2/charts/historical"
    assert 20 <= len(frame) <= 23


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (429, RATE_LIMIT),
        (500, SERVER_ERROR),
        (200, b"{not json"),
        (502, b"<html>bad gateway</html>"),
    ],
)
def test_transient_errors_are_retried_with_backoff(fake_dhan, nifty, status, body):
    fake_dhan.fail_next(status, body, times=2)
    p = _provider(fake_dhan)
    frame = p.fetch(
        instrument=instrument_ref(nifty),
        timeframe="1m",
        start=datetime(2024, 1, 2, tzinfo=UTC),
        end=datetime(2024, 1, 3, tzinfo=UTC),
    )
    assert len(frame) == 375 and p.requests_made == 3


def test_persistent_errors_give_up_and_auth_errors_do_not_retry(fake_dhan, nifty, caplog):
    caplog.set_level(logging.DEBUG)
    fake_dhan.fail_next(429, RATE_LIMIT, times=10)
    p = _provider(fake_dhan, max_retries=2)
    span = {"start": datetime(2024, 1, 2, tzinfo=UTC), "end": datetime(2024, 1, 3, tzinfo=UTC)}
    with pytest.raises(ProviderError, match="after 3 attempts"):
        p.fetch(instrument=instrument_ref(nifty), timeframe="1m", **span)
    fake_dhan.failures.clear()
    fake_dhan.fail_next(401, AUTH_ERROR)
    p = _provider(fake_dhan)
    with pytest.raises(ProviderError, match="DH-901") as err:
        p.fetch(instrument=instrument_ref(nifty), timeframe="1m", **span)
    assert not err.value.retryable and p.requests_made == 1
    assert "canary-token-do-not-log" not in caplog.text + repr(p)


def test_no_data_is_an_empty_chunk(fake_dhan, nifty):
    fake_dhan.fail_next(400, NO_DATA)
    frame = _provider(fake_dhan).fetch(
        instrument=instrument_ref(nifty),
        timeframe="1m",
        start=datetime(2024, 1, 2, tzinfo=UTC),
        end=datetime(2024, 1, 3, tzinfo=UTC),
    )
    assert len(frame) == 0


def test_security_master_parse_lots_expiries_and_strike_step(fake_dhan):
    specs = security_master_parse(fake_dhan.master.encode(), underlyings=("NIFTY",))
    by_symbol = {s.symbol: s for s in specs}
    assert "RELIANCE" not in by_symbol and "GOLD-FUT" not in by_symbol
    fut = by_symbol["NIFTY-Jan2026-FUT"]
    assert fut.kind == "future" and fut.lot_size == 65 and str(fut.expiry) == "2026-01-27"
    opt = by_symbol["NIFTY-2026-01-27-24050-PE"]
    assert (opt.option_type, str(opt.strike), opt.strike_step, str(opt.tick_size)) == (
        "PE",
        "24050.00",
        50,
        "0.0500",
    )
    assert by_symbol["NIFTY"].kind == "index" and by_symbol["NIFTY"].strike_step == 50


def test_instrument_sync_run_upserts_the_master(
    fake_dhan, staff_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_client.post(
            "/api/marketdata/instruments/sync",
            {"provider": "dhan", "underlyings": ["NIFTY"]},
            format="json",
        )
    assert r.status_code == 202
    assert Instrument.objects.filter(kind="option", underlying="NIFTY").count() == 12
    again = staff_client.get(f"/api/marketdata/ingestion-runs/{r.json()['id']}").json()
    assert again["status"] == "succeeded" and again["rows_received"] == 14
    assert again["requested_by"] == staff_client.user.pk


def test_backfill_api_through_dhan_is_chunked_and_stored(
    fake_dhan, staff_client, nifty, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        r = staff_client.post(
            f"/api/marketdata/instruments/{nifty.pk}/backfill",
            {"timeframe": "15m", "start": "2024-01-01", "end": "2024-04-30", "provider": "dhan"},
            format="json",
        )
    assert r.status_code == 202
    run = staff_client.get(f"/api/marketdata/ingestion-runs/{r.json()['id']}").json()
    assert (
        run["status"] == "succeeded" and run["chunks_done"] == 2 and run["rows_inserted"] > 70 * 25
    )
    assert len([q for q in fake_dhan.requests if q["path"].endswith("intraday")]) == 2


def test_the_security_master_download_retries_transient_failures_only(fake_dhan):
    import requests
    import responses

    p = _provider(fake_dhan, security_master_url="https://master.test/scrip.csv")
    with responses.RequestsMock() as mock:
        mock.get("https://master.test/scrip.csv", status=503)
        mock.get("https://master.test/scrip.csv", body=requests.ConnectionError("reset"))
        mock.get("https://master.test/scrip.csv", body=fake_dhan.master)
        specs = p.instruments(underlyings=("NIFTY",))
        assert len(mock.calls) == 3 and any(s.symbol == "NIFTY" for s in specs)
    with responses.RequestsMock() as mock:
        mock.get("https://master.test/scrip.csv", status=404)
        with pytest.raises(ProviderError, match="security master download failed"):
            p.instruments()
        assert len(mock.calls) == 1
