"""The stored option chain: contracts alive on a day and premiums per the engine's protocol."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from django.db import IntegrityError, transaction

from engine.markets.calendar import IST
from engine.options.contracts import OptionChainSource, OptionContract
from marketdata import services
from marketdata.frames import BarFrame
from marketdata.models import Instrument
from marketdata.options import stored_chain

pytestmark = pytest.mark.django_db


def make_option(
    strike: int,
    right: str = "CE",
    expiry: date = date(2024, 1, 25),
    listed_on: date | None = None,
    underlying: str = "NIFTY",
) -> Instrument:
    return Instrument.objects.create(
        exchange="NSE",
        segment=Instrument.Segment.NSE_FNO,
        symbol=f"{underlying}-{expiry:%Y-%m-%d}-{strike}-{right}",
        kind=Instrument.Kind.OPTION,
        underlying=underlying,
        expiry=expiry,
        strike=Decimal(strike),
        option_type=right,
        lot_size=50,
        tick_size=Decimal("0.05"),
        security_id=f"{strike}{right}",
        listed_on=listed_on,
    )


def minute_frame(day: date, closes: list[float], oi: list[float] | None = None) -> BarFrame:
    start = datetime.combine(day, time(9, 15), tzinfo=IST)
    ts = np.array([int(pd.Timestamp(start).value) + i * 60_000_000_000 for i in range(len(closes))])
    c = np.array(closes, dtype=float)
    return BarFrame.build(
        ts, c, c + 1, c - 1, c, np.full(len(c), 100.0), None if oi is None else np.array(oi)
    )


def test_stored_chain_is_an_option_chain_source():
    assert isinstance(stored_chain("NIFTY"), OptionChainSource)


def test_contracts_alive_on_a_day_are_listed_and_unexpired():
    make_option(21500, "CE")
    make_option(21500, "PE")
    make_option(21600, "CE", listed_on=date(2024, 1, 10))
    make_option(21500, "CE", expiry=date(2024, 1, 18))  # expired by the 19th
    make_option(46000, "CE", underlying="BANKNIFTY")
    chain = stored_chain("nifty")
    on_19 = chain.contracts("NIFTY", date(2024, 1, 19))
    assert [(c.strike, c.right, c.expiry) for c in on_19] == [
        (21500.0, "CE", date(2024, 1, 25)),
        (21500.0, "PE", date(2024, 1, 25)),
        (21600.0, "CE", date(2024, 1, 25)),
    ]
    c = on_19[0]
    assert isinstance(c, OptionContract)
    assert (c.lot_size, c.tick_size, c.exchange, c.security_id) == (50, 0.05, "NSE", "21500CE")
    # before its listing date 21600 is not there; on expiry day the expiring series is
    on_9 = chain.contracts("NIFTY", date(2024, 1, 9))
    assert {(c.strike, c.expiry) for c in on_9} == {
        (21500.0, date(2024, 1, 18)),
        (21500.0, date(2024, 1, 25)),
    }
    assert chain.contracts("NIFTY", date(2024, 1, 26)) == []


def test_contracts_of_another_underlying_are_refused():
    with pytest.raises(ValueError, match="NIFTY contracts, not BANKNIFTY"):
        stored_chain("NIFTY").contracts("BANKNIFTY", date(2024, 1, 2))


def test_premiums_are_the_stored_candles_in_ist_with_both_ends_included():
    row = make_option(21500, "CE")
    day = date(2024, 1, 19)
    services.candles_ingest(
        instrument=row,
        timeframe="1m",
        frame=minute_frame(day, [100, 101, 102, 103, 104], oi=[10, 11, 12, 13, 14]),
    )
    chain = stored_chain("NIFTY")
    contract = chain.contracts("NIFTY", day)[0]
    start = datetime.combine(day, time(9, 16))
    end = datetime.combine(day, time(9, 18))
    df = chain.premiums(contract, start, end, "1m")
    assert list(df.columns) == ["open", "high", "low", "close", "volume", "oi"]
    assert [t.strftime("%H:%M") for t in df.index] == ["09:16", "09:17", "09:18"]
    assert str(df.index.tz) == "Asia/Kolkata"
    assert df["close"].tolist() == [101.0, 102.0, 103.0]
    assert df["high"].tolist() == [102.0, 103.0, 104.0]
    assert df["oi"].tolist() == [11.0, 12.0, 13.0]
    assert df.dtypes["close"] == np.float64


def test_premiums_resample_one_minute_bars_without_inventing_oi():
    row = make_option(21500, "PE")
    day = date(2024, 1, 19)
    services.candles_ingest(
        instrument=row,
        timeframe="1m",
        frame=minute_frame(day, [10, 11, 12, 13, 14, 15], oi=[1] * 6),
    )
    chain = stored_chain("NIFTY")
    contract = chain.contracts("NIFTY", day)[0]
    df = chain.premiums(
        contract, datetime.combine(day, time(9, 15)), datetime.combine(day, time(9, 25)), "5m"
    )
    assert [t.strftime("%H:%M") for t in df.index] == ["09:15", "09:20"]
    assert df["open"].tolist() == [10.0, 15.0]
    assert df["close"].tolist() == [14.0, 15.0]
    assert df["high"].tolist() == [15.0, 16.0]
    assert "oi" not in df.columns


def test_premiums_are_none_when_nothing_is_stored():
    make_option(21500, "CE")
    chain = stored_chain("NIFTY")
    contract = chain.contracts("NIFTY", date(2024, 1, 19))[0]
    day = datetime(2024, 1, 19, 9, 15)
    assert chain.premiums(contract, day, datetime(2024, 1, 19, 15, 29), "1m") is None
    unknown = OptionContract("X", "NIFTY", date(2024, 1, 25), 99999.0, "CE", 50)
    assert chain.premiums(unknown, day, datetime(2024, 1, 19, 15, 29), "1m") is None


def test_premiums_of_a_contract_built_elsewhere_are_found_by_key():
    row = make_option(21500, "CE")
    day = date(2024, 1, 19)
    services.candles_ingest(instrument=row, timeframe="1m", frame=minute_frame(day, [5, 6]))
    contract = OptionContract(
        symbol="anything",
        underlying="NIFTY",
        expiry=date(2024, 1, 25),
        strike=21500.0,
        right="CE",
        lot_size=50,
    )
    df = stored_chain("NIFTY").premiums(
        contract, datetime.combine(day, time(9, 15)), datetime.combine(day, time(15, 29)), "1m"
    )
    assert df["close"].tolist() == [5.0, 6.0]


def test_one_row_per_option_series():
    make_option(21500, "CE")
    with pytest.raises(IntegrityError), transaction.atomic():
        Instrument.objects.create(
            exchange="NSE",
            segment=Instrument.Segment.NSE_FNO,
            symbol="NIFTY24JAN21500CE",
            kind=Instrument.Kind.OPTION,
            underlying="NIFTY",
            expiry=date(2024, 1, 25),
            strike=Decimal(21500),
            option_type="CE",
        )


def test_daily_premiums_include_the_day_of_a_start_after_midnight():
    row = make_option(21500, "CE")
    day = date(2024, 1, 19)
    midnight = int(pd.Timestamp(datetime.combine(day, time(0)), tz=IST).value)
    services.candles_ingest(
        instrument=row,
        timeframe="1d",
        frame=BarFrame.build(np.array([midnight]), *[np.array([80.0])] * 4),
    )
    chain = stored_chain("NIFTY")
    contract = chain.contracts("NIFTY", day)[0]
    df = chain.premiums(
        contract, datetime.combine(day, time(9, 15)), datetime.combine(day, time(15, 29)), "1d"
    )
    assert df["close"].tolist() == [80.0] and df.index[0].strftime("%H:%M") == "00:00"


def test_the_contracts_of_a_day_are_read_once():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_option(21500, "CE")
    chain = stored_chain("NIFTY")
    first = chain.contracts("NIFTY", date(2024, 1, 19))
    with CaptureQueriesContext(connection) as queries:
        again = chain.contracts("NIFTY", date(2024, 1, 19))
    assert again == first and len(queries) == 0


def test_migration_renames_option_rows_synced_under_dhans_symbols():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("marketdata.migrations.0004_option_files_runs_iv")
    old = make_option(21500, "CE")
    Instrument.objects.filter(pk=old.pk).update(symbol="NIFTY-Jan2024-21500-CE")
    taken = make_option(21600, "PE")
    Instrument.objects.filter(pk=taken.pk).update(symbol="NIFTY-Jan2024-21600-PE")
    Instrument.objects.create(  # someone else already holds 21600 PE's new name: left alone
        exchange="NSE", segment="NSE_FNO", symbol="NIFTY-2024-01-25-21600-PE", kind="future"
    )
    migration.options_renamed(apps, None)
    assert Instrument.objects.get(pk=old.pk).symbol == "NIFTY-2024-01-25-21500-CE"
    assert Instrument.objects.get(pk=taken.pk).symbol == "NIFTY-Jan2024-21600-PE"
