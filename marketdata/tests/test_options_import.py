"""Option files: NSE EOD and contract files, option-chain snapshots, into contracts, candles,
quarantine and ATM IV samples — on small synthetic files and on the real ones."""

from __future__ import annotations

import gzip
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest

from engine.markets.calendar import IST
from marketdata.models import Candle, ImpliedVolatility, IngestionRun, Instrument, QuarantinedCandle
from marketdata.options import iv_series, stored_chain
from marketdata.providers import FileFormatError
from marketdata.providers.option_files import option_file_read
from marketdata.services.options import option_file_import

pytestmark = pytest.mark.django_db

EOD_HEADER = (
    "symbol,date,expiry,option_type,strike,open,high,low,close,ltp,settle_price,contracts,"
    "turnover_lacs,premium_turnover_lacs,open_int,change_in_oi,underlying_value"
)
EOD_ROWS = [
    # traded
    "NIFTY,2019-01-01,2019-01-31,CE,10900,120.0,130.5,110.0,125.25,125,125.25,100,0,0,5000,0,10910",
    "NIFTY,2019-01-02,2019-01-31,CE,10900,126.0,127.0,90.0,95.5,95,95.5,80,0,0,5100,100,10800",
    # untraded: skipped, not stored, not quarantined
    "NIFTY,2019-01-01,2019-01-31,PE,8550,0.0,0.0,0.0,1.55,0,1.55,0,0,0,0,0,10910",
    # bad rows
    "NIFTY,2019-01-01,2019-01-31,XX,10900,1,1,1,1,1,1,1,0,0,0,0,10910",
    "NIFTY,2019-01-01,not-a-date,CE,10900,1,1,1,1,1,1,1,0,0,0,0,10910",
    "NIFTY,2019-01-01,2019-01-31,CE,-50,1,1,1,1,1,1,1,0,0,0,0,10910",
    "NIFTY,2019-01-01,2019-01-31,PE,10900,5,4,3,2,1,1,1,0,0,0,0,10910",  # high < open
]


def eod_csv(rows: list[str] = EOD_ROWS) -> bytes:
    return ("\n".join([EOD_HEADER, *rows]) + "\n").encode()


def test_eod_file_stores_traded_contract_days_and_quarantines_bad_rows():
    run = option_file_import(source=eod_csv(), source_name="eod.csv")
    assert run.status == "succeeded" and run.kind == "option_file"
    assert (run.provider, run.timeframe) == ("nse-eod", "1d")
    assert (run.rows_inserted, run.rows_rejected) == (2, 4)
    assert run.anomalies["counts"]["untraded"] == 1
    reasons = sorted(QuarantinedCandle.objects.filter(run=run).values_list("reason", flat=True))
    assert reasons == ["bad_expiry", "bad_option_type", "bad_strike", "ohlc_inconsistent"]
    ce = Instrument.objects.get(symbol="NIFTY-2019-01-31-10900-CE")
    assert (ce.kind, ce.segment, ce.underlying, ce.option_type) == (
        "option",
        "NSE_FNO",
        "NIFTY",
        "CE",
    )
    assert (ce.strike, ce.expiry, ce.lot_size, ce.strike_step) == (
        Decimal("10900.00"),
        date(2019, 1, 31),
        75,  # the calendar's NIFTY lot in January 2019
        50,
    )
    assert ce.listed_on == date(2019, 1, 1) and not ce.is_active
    bars = list(Candle.objects.filter(instrument=ce, timeframe="1d").order_by("ts"))
    assert [b.ts.astimezone(IST).date() for b in bars] == [date(2019, 1, 1), date(2019, 1, 2)]
    assert [b.close for b in bars] == [125.25, 95.5]
    assert [b.volume for b in bars] == [100 * 75, 80 * 75]  # contracts -> units
    assert [b.open_interest for b in bars] == [5000, 5100]
    # the PE with high < open named its contract: it is quarantined under that contract
    pe = QuarantinedCandle.objects.get(run=run, reason="ohlc_inconsistent")
    assert pe.instrument.symbol == "NIFTY-2019-01-31-10900-PE"
    assert QuarantinedCandle.objects.get(run=run, reason="bad_expiry").instrument is None


def test_reimporting_a_file_changes_nothing():
    first = option_file_import(source=eod_csv())
    again = option_file_import(source=eod_csv())
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 2)
    assert again.options["contracts_created"] == 0 and first.options["contracts_created"] == 2
    assert Instrument.objects.filter(kind="option").count() == 2
    assert Candle.objects.count() == 2


def test_a_file_of_another_shape_is_refused_naming_the_format():
    with pytest.raises(FileFormatError) as err:
        option_file_import(source=b"time,open,high,low,close\n2024-01-01,1,1,1,1\n")
    assert "format" in err.value.errors
    assert IngestionRun.objects.get().status == "failed"
    with pytest.raises(FileFormatError, match="looks like nse-eod, not chain-snapshots"):
        option_file_read(eod_csv(), fmt="chain-snapshots")


CW_HEADER = (
    "trade_date,INSTRUMENT,SYMBOL,EXP_DATE,STR_PRICE,OPT_TYPE,OPEN_PRICE,HI_PRICE,LO_PRICE,"
    "CLOSE_PRICE,OPEN_INT,TRD_QTY,NO_OF_CONT,NO_OF_TRADE,NOTION_VAL,PR_VAL"
)


def test_contract_file_gives_the_lot_from_traded_quantity_and_reads_nse_dates():
    rows = [
        "14-Nov-2025,OPTIDX,BANKNIFTY,25-Nov-2025,58500.0,CE,300,310,290,305,1000,3500,100,9,0,0",
        "2025-11-14,OPTSTK,RELIANCE,2025-11-25,1500.0,CE,1,1,1,1,1,1,1,1,0,0",
    ]
    data = gzip.compress(("\n".join([CW_HEADER, *rows]) + "\n").encode())
    run = option_file_import(source=data, fmt="nse-contractwise")
    assert run.rows_inserted == 1 and run.anomalies["counts"]["not_index_derivative"] == 1
    row = Instrument.objects.get(symbol="BANKNIFTY-2025-11-25-58500-CE")
    assert row.lot_size == 35 and row.listed_on == date(2025, 11, 14)
    bar = Candle.objects.get(instrument=row)
    assert (bar.volume, bar.open_interest) == (3500, 1000)


def test_a_file_does_not_overwrite_the_masters_facts_but_moves_listing_earlier():
    master = Instrument.objects.create(
        exchange="NSE",
        segment="NSE_FNO",
        symbol="NIFTY-2019-01-31-10900-CE",
        kind="option",
        underlying="NIFTY",
        expiry=date(2019, 1, 31),
        strike=Decimal(10900),
        option_type="CE",
        lot_size=77,
        security_id="4242",
    )
    option_file_import(source=eod_csv(EOD_ROWS[:2]))
    master.refresh_from_db()
    assert (master.lot_size, master.security_id, master.listed_on) == (77, "4242", date(2019, 1, 1))


SNAP_HEADER = (
    "snapshot_time,Fetch_Time,Symbol,Expiry_Date,Strike_Price,CALLS_OI,CALLS_Chng_in_OI,"
    "CALLS_Volume,CALLS_IV,CALLS_LTP,CALLS_Net_Chng,CALLS_Bid_Qty,CALLS_Bid_Price,"
    "CALLS_Ask_Price,CALLS_Ask_Qty,PUTS_OI,PUTS_Chng_in_OI,PUTS_Volume,PUTS_IV,PUTS_LTP,"
    "PUTS_Net_Chng,PUTS_Bid_Qty,PUTS_Bid_Price,PUTS_Ask_Price,PUTS_Ask_Qty"
)


def snap(at: str, fetched: str, strike: int, ce: tuple, pe: tuple) -> str:
    """ce/pe: (oi, volume, iv, ltp)."""

    def side(oi, vol, iv, ltp):
        return f"{oi},0,{vol},{iv},{ltp},0,0,0,0,0"

    return f"{at},{fetched},NIFTY,02-Sep-2025,{strike},{side(*ce)},{side(*pe)}"


def snapshots_csv() -> bytes:
    rows = [
        # a holiday's poll repeats the previous close: stale, skipped
        snap(
            "2025-08-27 09:45:17", "26-Aug-2025 15:30:00", 24500, (1, 10, 11, 99), (1, 10, 11, 98)
        ),
        # 09:22:45 and 09:23:50: two quotes, two one-minute bars
        snap(
            "2025-08-29 09:24:16",
            "29-Aug-2025 09:22:45",
            24450,
            (2, 100, 12.0, 130),
            (3, 50, 13.0, 70),
        ),
        snap(
            "2025-08-29 09:24:16",
            "29-Aug-2025 09:22:45",
            24500,
            (4, 100, 11.0, 101),
            (5, 60, 12.0, 99),
        ),
        snap(
            "2025-08-29 09:24:16", "29-Aug-2025 09:22:45", 24550, (6, 100, 10.0, 75), (7, 70, 0, 0)
        ),
        snap(
            "2025-08-29 09:25:22",
            "29-Aug-2025 09:23:50",
            24500,
            (4.5, 130, 11.5, 90),
            (5, 80, 12.5, 105),
        ),
    ]
    return ("\n".join([SNAP_HEADER, *rows]) + "\n").encode()


def test_chain_snapshots_become_minute_bars_at_nse_time_and_atm_iv():
    run = option_file_import(source=snapshots_csv())
    assert (run.provider, run.timeframe, run.status) == ("chain-snapshots", "1m", "succeeded")
    counts = run.anomalies["counts"]
    assert counts["stale_snapshot"] == 1 and counts["no_quote"] == 1  # rows; sides
    ce = Instrument.objects.get(symbol="NIFTY-2025-09-02-24500-CE")
    bars = list(Candle.objects.filter(instrument=ce, timeframe="1m").order_by("ts"))
    assert [b.ts.astimezone(IST).strftime("%H:%M") for b in bars] == ["09:22", "09:23"]
    assert [(b.open, b.high, b.low, b.close) for b in bars] == [(101,) * 4, (90,) * 4]
    # volume: the rise of the day's cumulative volume; OI: lots -> units (75 a lot)
    assert [b.volume for b in bars] == [0.0, 30 * 75]
    assert [b.open_interest for b in bars] == [4 * 75, 4.5 * 75]
    ivs = list(ImpliedVolatility.objects.order_by("ts").values_list("strike", "iv", "source"))
    # ATM where call and put prices are closest: 24500 both times (|101-99|, |90-105|)
    assert ivs == [
        (Decimal("24500.00"), pytest.approx(0.115), "chain_snapshot"),
        (Decimal("24500.00"), pytest.approx(0.12), "chain_snapshot"),
    ]
    series = iv_series("NIFTY", date(2025, 8, 29), date(2025, 8, 29))
    assert series.attrs["source"] == "atm_iv" and series.tolist() == pytest.approx([0.115, 0.12])
    assert [t.strftime("%H:%M:%S") for t in series.index] == ["09:22:45", "09:23:50"]
    assert iv_series("BANKNIFTY", date(2025, 8, 29), date(2025, 8, 29)) is None


def test_iv_series_prefers_the_next_expiry_and_falls_back_to_india_vix(nifty):
    from marketdata import services
    from marketdata.frames import BarFrame

    at = datetime(2025, 9, 2, 10, 0, tzinfo=IST)
    for expiry, iv in ((date(2025, 9, 2), 0.30), (date(2025, 9, 9), 0.12)):
        ImpliedVolatility.objects.create(
            underlying="NIFTY", ts=at, expiry=expiry, strike=24500, iv=iv, source="chain_snapshot"
        )
    series = iv_series("NIFTY", date(2025, 9, 2), date(2025, 9, 2))
    assert series.tolist() == [0.12]  # not the expiring contract's
    vix = services.instrument_index_get_or_create(symbol="INDIAVIX")
    assert vix.security_id == "21"
    import numpy as np
    import pandas as pd

    ts = np.array([pd.Timestamp(datetime(2025, 9, 3, 9, 15), tz=IST).value])
    services.candles_ingest(
        instrument=vix, timeframe="1m", frame=BarFrame.build(ts, *[np.array([13.5])] * 4)
    )
    day3 = iv_series("NIFTY", date(2025, 9, 3), date(2025, 9, 3))
    assert day3.attrs["source"] == "india_vix" and day3.tolist() == [0.135]
    assert iv_series("BANKNIFTY", date(2025, 9, 3), date(2025, 9, 3)) is None
    assert (
        iv_series("BANKNIFTY", date(2025, 9, 3), date(2025, 9, 3), source="india_vix") is not None
    )
    from algobacktester.errors import InvalidInput

    with pytest.raises(InvalidInput):
        iv_series("NIFTY", date(2025, 9, 3), date(2025, 9, 3), source="constant")


# --- the real files ------------------------------------------------------------------------
def real(shared_data: Path, name: str) -> Path:
    path = shared_data / name
    if not path.is_file():
        pytest.skip(f"{name} is not in {shared_data}")
    return path


@pytest.mark.slow
def test_real_eod_file_premiums_through_the_stored_chain(shared_data):
    path = real(shared_data, "nifty_options_eod_monthly-expiry_2019-01_2019-03_2021-01.csv.gz")
    run = option_file_import(source=path, source_name=path.name)
    assert run.status == "succeeded" and run.rows_rejected == 0
    assert run.rows_inserted == 11_802 - 4_178 and run.anomalies["counts"]["untraded"] == 4_178
    chain = stored_chain("NIFTY")
    on = date(2019, 1, 1)
    contracts = chain.contracts("NIFTY", on)
    assert {c.expiry for c in contracts} == {date(2019, 1, 31)}  # the file's only Jan expiry
    assert all(c.lot_size == 75 for c in contracts)
    pe = next(c for c in contracts if (c.strike, c.right) == (8550.0, "PE"))
    df = chain.premiums(pe, datetime(2019, 1, 1), datetime(2019, 1, 1, 23, 59), "1d")
    # the file's row: NIFTY,2019-01-01,2019-01-31,PE,8550,2.25,2.25,1.45,1.55,...
    assert df[["open", "high", "low", "close"]].iloc[0].tolist() == [2.25, 2.25, 1.45, 1.55]
    assert df["oi"].iloc[0] == 6300.0
    again = option_file_import(source=path)
    assert again.rows_inserted == 0 and again.rows_unchanged == run.rows_inserted


@pytest.mark.slow
def test_real_contract_files_of_options_and_futures(shared_data):
    options = real(shared_data, "nse_index_options_contractwise_2025-11-14_2025-11-17.csv.gz")
    futures = real(shared_data, "nse_index_futures_contractwise_2025-11-14_2025-11-17.csv.gz")
    run = option_file_import(source=options, underlyings=("BANKNIFTY",))
    assert run.status == "succeeded" and run.rows_rejected == 0
    banknifty = Instrument.objects.filter(kind="option", underlying="BANKNIFTY")
    assert banknifty.count() == run.options["contracts_created"] > 400
    assert set(banknifty.values_list("lot_size", flat=True)) <= {35, 30}
    assert not Instrument.objects.filter(kind="option", underlying="NIFTY").exists()
    run = option_file_import(source=futures)
    assert run.rows_inserted == 26
    fut = Instrument.objects.get(symbol="BANKNIFTY-Jan2026-FUT")
    assert (fut.kind, fut.lot_size, fut.expiry) == ("future", 30, date(2026, 1, 27))


@pytest.mark.slow
def test_real_chain_snapshots_give_banknifty_minute_premiums_and_iv(shared_data):
    path = real(shared_data, "nifty_banknifty_option_chain_snapshots_2025-08-27_2025-08-29.csv.gz")
    run = option_file_import(source=path, underlyings=("BANKNIFTY",))
    assert run.status == "succeeded" and run.rows_rejected == 0
    assert run.anomalies["counts"]["stale_snapshot"] > 0  # the 27th (a holiday) repeats the 26th
    ivs = iv_series("BANKNIFTY", date(2025, 8, 29), date(2025, 8, 29))
    assert ivs.attrs["source"] == "atm_iv" and 280 < len(ivs) <= 305
    assert 0.05 < ivs.median() < 0.3
    assert ivs.index.min().time() >= time(9, 15) and ivs.index.max().time() < time(15, 31)
    chain = stored_chain("BANKNIFTY")
    contracts = chain.contracts("BANKNIFTY", date(2025, 8, 29))
    assert min(c.expiry for c in contracts) == date(2025, 9, 30)  # monthly only by then
    atm = next(c for c in contracts if c.expiry == date(2025, 9, 30) and c.strike == 54300.0)
    df = chain.premiums(atm, datetime(2025, 8, 29, 9, 15), datetime(2025, 8, 29, 15, 29), "5m")
    assert len(df) > 60 and (df["close"] > 0).all()
