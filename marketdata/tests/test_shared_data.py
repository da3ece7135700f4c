"""The health report on the real files in ../shared/data (skipped when the folder is absent)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from marketdata.frames import concat
from marketdata.models import Candle
from marketdata.providers.files import FileProvider
from marketdata.selectors import bars_health, data_health_report
from marketdata.services import candles_import

pytestmark = pytest.mark.slow


def _holes_by_day(report: dict) -> dict[str, list[dict]]:
    out = defaultdict(list)
    for g in report["gaps"]:
        out[g["start"][:10]].append(g)
    return out


@pytest.mark.django_db
def test_nifty_2024_file_lacks_five_whole_days(shared_data, nifty):
    provider = FileProvider(
        source=shared_data / "nifty50_1min_2024-01_2024-08.csv.gz", timeframe="1m"
    )
    run = candles_import(instrument=nifty, timeframe="1m", provider=provider)
    assert run.rows_inserted == 57_960 and run.rows_rejected == 0
    report = data_health_report(instrument=nifty, timeframe="1m")
    assert report["missing_days"] == [
        "2024-02-01",
        "2024-03-04",
        "2024-04-05",
        "2024-05-07",
        "2024-07-10",
    ]
    assert report["gap_count"] == 0 and report["missing_bars"] == 5 * 375
    # Saturday 2024-01-20 (full special session) counts; the two DR-drill Saturdays are extra bars.
    assert report["extra_bars"] == 2 * 105
    assert Candle.objects.filter(instrument=nifty).count() == 57_960


def test_nifty_2021_2023_intraday_holes(shared_data):
    frame = concat(
        list(
            FileProvider(
                source=shared_data / "nifty50_1min_2021-01_2023-01.csv.gz", timeframe="1m"
            ).read()
        )
    )
    assert len(frame) == 192_906
    report = bars_health(frame, timeframe="1m", start=date(2021, 1, 1), end=date(2023, 1, 31))
    holes = _holes_by_day(report)
    expected = {"2021-07-23": 41, "2022-03-07": 40, "2022-01-21": 13, "2021-11-01": 4}
    for day, minutes in expected.items():
        assert sum(g["bars"] for g in holes[day]) == minutes, day
    assert all(
        g["start"][11:16] >= "11:42" and g["end"][11:16] <= "13:29" for g in holes["2021-07-23"]
    )
    assert all(
        g["start"][11:16] >= "09:37" and g["end"][11:16] <= "10:25" for g in holes["2022-03-07"]
    )
    # the 2021-02-24 NSE outage: the index feed stops at 10:07, trading halted 11:40-15:45 and
    # re-opened until 17:00 (the calendar's session for that day), so only the morning is a hole
    assert holes["2021-02-24"] == [
        {"start": "2021-02-24T10:08+05:30", "end": "2021-02-24T11:39+05:30", "bars": 92}
    ]
    # the holiday calendar covers 2021-2022: every weekday without bars is a holiday
    assert report["missing_days"] == [] and report["unverified_days"] == []


def test_banknifty_15min_ohlc_rounding_is_flagged(shared_data):
    frame = concat(
        list(
            FileProvider(
                source=shared_data / "banknifty_15min_2018-01_2023-08.csv.gz", timeframe="15m"
            ).read()
        )
    )
    report = bars_health(frame, timeframe="15m", start=date(2018, 1, 1), end=date(2023, 8, 4))
    assert report["anomalies"]["counts"]["ohlc_inconsistent"] == 696
    assert "2020-03-13" in report["missing_days"] and "2022-03-07" in report["missing_days"]
