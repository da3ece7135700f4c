"""Options from Dhan: the detailed security master and expired options (rolling) data,
against the local fake server (the real dhanhq SDK does the HTTP)."""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from limits.storage import MemoryStorage

from algobacktester.errors import InvalidInput
from algobacktester.ratelimits import AccountLimiter
from engine.markets.calendar import IST
from marketdata import services
from marketdata.models import Candle, ImpliedVolatility, IngestionRun, Instrument
from marketdata.options import iv_series, stored_chain
from marketdata.providers import ProviderError
from marketdata.providers.dhan import DhanProvider, security_master_parse
from marketdata.services.options import option_premiums_fetch

from .fake_dhan import AUTH_ERROR, RATE_LIMIT, SERVER_ERROR

pytestmark = pytest.mark.django_db


def test_detailed_master_names_weekly_series_apart(fake_dhan):
    specs = security_master_parse(fake_dhan.detailed.encode(), underlyings=("NIFTY",))
    options = {s.symbol: s for s in specs if s.kind == "option"}
    # Dhan names both January weeklies and the monthly NIFTY-Jan2026-26000-CE; we do not
    assert {s for s in options if s.startswith("NIFTY-2026-01-") and "26000-CE" in s} == {
        "NIFTY-2026-01-06-26000-CE",
        "NIFTY-2026-01-13-26000-CE",
        "NIFTY-2026-01-27-26000-CE",
    }
    assert len(options) == 18  # the row without an expiry is left out
    weekly = options["NIFTY-2026-01-06-26050-PE"]
    assert (weekly.security_id, weekly.lot_size, weekly.tick_size, weekly.strike_step) == (
        "60004",
        65,
        Decimal("0.0500"),
        50,
    )
    assert weekly.underlying == "NIFTY" and weekly.name == "NIFTY 06 JAN 26050 PUT"
    by_symbol = {s.symbol: s for s in specs}
    assert by_symbol["NIFTY-Jan2026-FUT"].tick_size == Decimal("0.1000")
    assert by_symbol["NIFTY"].security_id == "13" and "RELIANCE" not in by_symbol


def test_detailed_master_sync_fills_the_stored_chain(fake_dhan, settings):
    settings.DHAN_SECURITY_MASTER_URL = fake_dhan.detailed_master_url
    run = IngestionRun.objects.create(kind="instruments", provider="dhan", options={})
    run = services.ingestion_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    contracts = stored_chain("NIFTY").contracts("NIFTY", date(2026, 1, 7))
    assert {c.expiry for c in contracts} == {date(2026, 1, 13), date(2026, 1, 27)}
    assert {c.security_id for c in contracts if c.expiry == date(2026, 1, 13)} == {
        str(n) for n in range(60007, 60013)
    }
    # a second sync updates in place
    again = services.ingestion_run_execute(
        run_id=IngestionRun.objects.create(kind="instruments", provider="dhan").pk
    )
    assert again.rows_inserted == 0 and Instrument.objects.filter(kind="option").count() == 19


def _fetch(**kw) -> IngestionRun:
    args = {
        "underlying": "NIFTY",
        "start": date(2025, 8, 25),
        "end": date(2025, 9, 5),
        "expiry_flag": "WEEK",
        "expiry_codes": (0,),
        "strikes": 1,
        "rights": ("CE",),
        "timeframe": "15m",
        "run_now": True,
    }
    return option_premiums_fetch(**{**args, **kw})


def test_rolling_premiums_land_on_the_calendars_expiries_across_the_2025_change(fake_dhan):
    run = _fetch()
    assert run.status == "succeeded", run.error
    assert run.kind == "option_fetch" and run.options["calls_done"] == 3
    calls = [r["payload"] for r in fake_dhan.requests if r["path"].endswith("rollingoption")]
    assert [c["strike"] for c in calls] == ["ATM", "ATM-1", "ATM+1"]
    first = calls[0]
    assert (first["securityId"], first["exchangeSegment"], first["instrument"]) == (
        "13",
        "NSE_FNO",
        "OPTIDX",
    )
    assert (first["expiryFlag"], first["expiryCode"], first["drvOptionType"]) == ("WEEK", 0, "CALL")
    assert (first["fromDate"], first["toDate"], first["interval"]) == (
        "2025-08-25",
        "2025-09-06",
        15,
    )
    # Thursday expiries until August 2025, Tuesday from September (27 Aug was a holiday)
    rows = Instrument.objects.filter(kind="option", underlying="NIFTY")
    assert set(rows.values_list("expiry", flat=True)) == {
        date(2025, 8, 28),
        date(2025, 9, 2),
        date(2025, 9, 9),
    }
    assert set(rows.values_list("lot_size", flat=True)) == {75}
    for row in rows:
        days = {
            ts.astimezone(IST).date()
            for ts in Candle.objects.filter(instrument=row).values_list("ts", flat=True)
        }
        expected = {
            date(2025, 8, 28): {date(2025, 8, 25), date(2025, 8, 26), date(2025, 8, 28)},
            date(2025, 9, 2): {date(2025, 8, 29), date(2025, 9, 1), date(2025, 9, 2)},
            date(2025, 9, 9): {date(2025, 9, 3), date(2025, 9, 4), date(2025, 9, 5)},
        }[row.expiry]
        assert days <= expected
    assert run.rows_inserted == 3 * 9 * 25  # 3 offsets, 9 trading days, 25 bars of 15m
    # the ATM call's IV is the IV input (the fake quotes 12.5 %)
    assert ImpliedVolatility.objects.filter(source="dhan_rolling").count() == 9 * 25
    ivs = iv_series("NIFTY", date(2025, 9, 1), date(2025, 9, 1))
    assert ivs.attrs["source"] == "atm_iv" and set(ivs.round(6)) == {0.125}
    again = _fetch()
    assert again.rows_inserted == 0 and again.rows_unchanged == run.rows_inserted


def test_premiums_of_a_rolling_contract_read_back_through_the_chain(fake_dhan):
    _fetch(start=date(2025, 9, 3), end=date(2025, 9, 3), strikes=0)
    chain = stored_chain("NIFTY")
    contracts = chain.contracts("NIFTY", date(2025, 9, 3))
    assert contracts and {(c.right, c.expiry) for c in contracts} == {("CE", date(2025, 9, 9))}
    day = datetime(2025, 9, 3, 9, 15)
    seen = 0
    for contract in contracts:  # the ATM strike moved with the spot: one contract per strike
        df = chain.premiums(contract, day, day + timedelta(hours=6, minutes=15), "15m")
        bars = Candle.objects.filter(instrument__symbol=contract.symbol).order_by("ts")
        assert df["close"].tolist() == [b.close for b in bars]
        seen += len(df)
    assert seen == 25


def test_rate_limits_and_server_errors_are_retried(fake_dhan):
    fake_dhan.fail_next(429, RATE_LIMIT)
    fake_dhan.fail_next(500, SERVER_ERROR)
    run = _fetch(start=date(2025, 9, 3), end=date(2025, 9, 3), strikes=0)
    assert run.status == "succeeded", run.error
    assert len([r for r in fake_dhan.requests if r["path"].endswith("rollingoption")]) == 3


def test_an_expired_token_fails_the_run_at_once_naming_the_code(fake_dhan):
    fake_dhan.fail_next(401, AUTH_ERROR)
    run = _fetch(start=date(2025, 9, 3), end=date(2025, 9, 3), strikes=0)
    assert run.status == "failed" and "DH-901" in run.error
    assert len(fake_dhan.requests) == 1  # not retried
    assert "canary-token" not in run.error


def test_a_requeued_run_resumes_after_the_calls_done(fake_dhan):
    run = _fetch(run_now=False)
    assert run.status == "queued"
    IngestionRun.objects.filter(pk=run.pk).update(options={**run.options, "calls_done": 2})
    done = services.ingestion_run_execute(run_id=run.pk)
    assert done.status == "succeeded" and done.options["calls_done"] == 3
    calls = [r["payload"] for r in fake_dhan.requests if r["path"].endswith("rollingoption")]
    assert [c["strike"] for c in calls] == ["ATM+1"]


def test_long_ranges_are_cut_into_30_day_calls(fake_dhan):
    run = _fetch(start=date(2025, 6, 2), end=date(2025, 7, 31), strikes=0, timeframe="1h")
    assert run.status == "succeeded", run.error
    calls = [r["payload"] for r in fake_dhan.requests if r["path"].endswith("rollingoption")]
    assert [(c["fromDate"], c["toDate"]) for c in calls] == [
        ("2025-06-02", "2025-07-02"),
        ("2025-07-02", "2025-08-01"),
    ]


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"expiry_flag": "DAY"}, "expiry_flag"),
        ({"strikes": 11}, "strikes"),
        ({"expiry_codes": (3,)}, "expiry_codes"),
        ({"rights": ("XX",)}, "rights"),
        ({"timeframe": "3m"}, "timeframe"),
        ({"underlying": "NOPE"}, "underlying"),
        ({"provider": "synthetic"}, "provider"),
        ({"start": "later"}, "start"),
    ],
)
def test_bad_fetch_requests_name_the_field(fake_dhan, kw, field):
    with pytest.raises(InvalidInput) as err:
        _fetch(**kw)
    assert field in err.value.detail
    assert not fake_dhan.requests


def test_rolling_calls_wait_on_the_accounts_limiter(fake_dhan):
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    limiter = AccountLimiter(
        key="dhan:test-rolling:data", limits="2/second", storage=MemoryStorage(), sleep=sleep
    )
    p = DhanProvider(limiter=limiter, backoff_seconds=0.001)
    ref = services.instrument_ref(services.instrument_index_get_or_create(symbol="NIFTY"))
    args = {
        "underlying": ref,
        "expiry_flag": "WEEK",
        "expiry_code": 0,
        "right": "PE",
        "timeframe": "5m",
        "start": date(2025, 9, 3),
        "end": date(2025, 9, 4),
    }
    series = [p.rolling_options(offset=k, **args) for k in (0, 1, 2)]
    assert waits and p.requests_made == 3
    assert all(len(s.frame) == 75 for s in series)
    assert (series[1].strike - series[0].strike == 50).all()
    with pytest.raises(ProviderError, match="at most 30 days"):
        p.rolling_options(offset=0, **{**args, "end": date(2025, 10, 30)})
