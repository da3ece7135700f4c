"""Charges follow the trade date: the day before and the day of every change (hand arithmetic)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine.fees import IndiaEquityIntradayFees, IndiaIndexFuturesFees, IndiaIndexOptionsFees
from engine.fees import india_rates as r
from engine.fees.base import BaseFees

D = date
OPT, FUT, EQ = IndiaIndexOptionsFees(), IndiaIndexFuturesFees(), IndiaEquityIntradayFees()
OPT_BSE, EQ_BSE = IndiaIndexOptionsFees(exchange="BSE"), IndiaEquityIntradayFees(exchange="BSE")


def charges(model: BaseFees, price: float, qty: float, side: str, on: date) -> dict[str, float]:
    return model.charges(price=price, qty=qty, side=side, on=on).to_dict()  # type: ignore[arg-type]


def test_nifty_option_sell_across_2024_10_01() -> None:
    # Premium 200 x 75 = 15,000, sold. 2024-09-30: brokerage 20; STT 0.0625% = 9.375 -> 9;
    # exchange 0.0495% = 7.425 -> 7.43; SEBI 0.0001% = 0.015 -> 0.02; IPFT 0.0005% = 0.075 ->
    # 0.08; GST 18% x 27.53 = 4.9554 -> 4.96. Total 41.49.
    assert charges(OPT, 200, 75, "sell", D(2024, 9, 30)) == {
        "brokerage": 20,
        "stt": 9,
        "exchange": 7.43,
        "sebi": 0.02,
        "ipft": 0.08,
        "stamp_duty": 0,
        "gst": 4.96,
        "total": 41.49,
    }
    # 2024-10-01: STT 0.1% = 15; exchange 0.03503% = 5.2545 -> 5.25; GST 18% x 25.35 = 4.563
    # -> 4.56. Total 44.91.
    assert charges(OPT, 200, 75, "sell", D(2024, 10, 1)) == {
        "brokerage": 20,
        "stt": 15,
        "exchange": 5.25,
        "sebi": 0.02,
        "ipft": 0.08,
        "stamp_duty": 0,
        "gst": 4.56,
        "total": 44.91,
    }


def test_nifty_future_sell_across_2023_04_01() -> None:
    # 17,000 x 50 = 850,000, sold. 2023-03-31: brokerage min(20, 255) = 20; STT 0.01% = 85;
    # exchange 0.002% = 17; SEBI 0.85; IPFT Rs 0.01/crore = 0.00085 -> 0; GST 18% x 37.85 =
    # 6.813 -> 6.81. Total 129.66.
    assert charges(FUT, 17_000, 50, "sell", D(2023, 3, 31)) == {
        "brokerage": 20,
        "stt": 85,
        "exchange": 17,
        "sebi": 0.85,
        "ipft": 0,
        "stamp_duty": 0,
        "gst": 6.81,
        "total": 129.66,
    }
    # 2023-04-01: STT 0.0125% = 106.25 -> 106; exchange 0.00188% = 15.98; IPFT 0.0001% = 0.85;
    # GST 18% x 37.68 = 6.7824 -> 6.78. Total 150.46.
    assert charges(FUT, 17_000, 50, "sell", D(2023, 4, 1)) == {
        "brokerage": 20,
        "stt": 106,
        "exchange": 15.98,
        "sebi": 0.85,
        "ipft": 0.85,
        "stamp_duty": 0,
        "gst": 6.78,
        "total": 150.46,
    }


# (model, price, qty, side, change day, component, on the day before, on the day) - turnover
# 100,000 unless said otherwise.
CHANGES = [
    # GST: service tax 15% -> GST 18%. Futures buy: 20 + exchange 1.90 + SEBI 0.15 = 22.05.
    (FUT, 1000, 100, "buy", D(2017, 7, 1), "gst", 3.31, 3.97),  # 3.3075, 3.969
    # SEBI Rs 15 -> 10 per crore (750,000 turnover: 1.125 -> 1.13, then 0.75).
    (FUT, 10_000, 75, "buy", D(2020, 6, 1), "sebi", 1.13, 0.75),
    # Stamp: Maharashtra 0.002% -> uniform 0.003% on option buys (2 -> 3 rupees).
    (OPT, 125, 800, "buy", D(2020, 7, 1), "stamp_duty", 2, 3),
    (EQ, 1000, 100, "buy", D(2020, 7, 1), "stamp_duty", 2, 3),
    # NSE +6%: options 0.05% -> 0.053%; futures 0.0019% -> 0.002%; cash 0.00325% -> 0.00345%.
    (OPT, 100, 1000, "sell", D(2021, 1, 1), "exchange", 50, 53),
    (FUT, 1000, 100, "sell", D(2021, 1, 1), "exchange", 1.90, 2.00),
    (EQ, 1000, 100, "sell", D(2021, 1, 1), "exchange", 3.25, 3.45),
    # BSE cash Rs 300 -> 375 per crore.
    (EQ_BSE, 1000, 100, "sell", D(2022, 12, 1), "exchange", 3.00, 3.75),
    # Finance Act 2023: options STT 0.05% -> 0.0625% (50 -> 62.5 -> 63); futures 0.01% ->
    # 0.0125% (10 -> 12.5 -> 13).
    (OPT, 100, 1000, "sell", D(2023, 4, 1), "stt", 50, 63),
    (FUT, 1000, 100, "sell", D(2023, 4, 1), "stt", 10, 13),
    # NSE roll-back: options 0.053% -> 0.0495%; cash 0.00345% -> 0.00322%; IPFT 0 -> Rs 50/crore.
    (OPT, 100, 1000, "sell", D(2023, 4, 1), "exchange", 53, 49.50),
    (EQ, 1000, 100, "sell", D(2023, 4, 1), "exchange", 3.45, 3.22),
    (OPT, 100, 1000, "sell", D(2023, 4, 1), "ipft", 0, 0.50),
    # BSE SENSEX options: Rs 500 -> 3,750 -> 4,950 -> 3,250 per crore of premium.
    (OPT_BSE, 100, 1000, "sell", D(2023, 11, 1), "exchange", 5.00, 37.50),
    (OPT_BSE, 100, 1000, "sell", D(2024, 5, 13), "exchange", 37.50, 49.50),
    (OPT_BSE, 100, 1000, "sell", D(2024, 10, 1), "exchange", 49.50, 32.50),
    # 2024-10-01: NSE flat rates; STT options 0.0625% -> 0.1%, futures 0.0125% -> 0.02%.
    (FUT, 1000, 100, "sell", D(2024, 10, 1), "exchange", 1.88, 1.73),
    (EQ, 1000, 100, "sell", D(2024, 10, 1), "exchange", 3.22, 2.97),
    (OPT, 100, 1000, "sell", D(2024, 10, 1), "stt", 63, 100),
    (FUT, 1000, 100, "sell", D(2024, 10, 1), "stt", 13, 20),
    # Finance Act 2026: options 0.1% -> 0.15%, futures 0.02% -> 0.05%.
    (OPT, 100, 1000, "sell", D(2026, 4, 1), "stt", 100, 150),
    (FUT, 1000, 100, "sell", D(2026, 4, 1), "stt", 20, 50),
]


@pytest.mark.parametrize(("model", "price", "qty", "side", "day", "part", "old", "new"), CHANGES)
def test_day_before_and_day_of_each_change(model, price, qty, side, day, part, old, new) -> None:
    assert charges(model, price, qty, side, day - timedelta(days=1))[part] == pytest.approx(old)
    assert charges(model, price, qty, side, day)[part] == pytest.approx(new)


def _all_changes() -> list[tuple[str, str, str, date]]:
    out = []
    for segment in r.SEGMENTS:
        for exchange in ("NSE", "BSE"):
            for name, table in _tables(segment, exchange).items():
                out += [(segment, exchange, name, since) for since, _ in table[1:]]
    return out


def _tables(segment: str, exchange: str) -> dict[str, r.Dated]:
    return {
        "gst": r.GST,
        "sebi": r.SEBI,
        "stt_sell": r.STT_SELL[segment],  # type: ignore[index]
        "stamp_buy": r.STAMP_BUY[segment],
        "exchange": r.EXCHANGE[(exchange, segment)],  # type: ignore[index]
        "ipft": r.IPFT[(exchange, segment)],  # type: ignore[index]
    }


@pytest.mark.parametrize(("segment", "exchange", "name", "since"), _all_changes())
def test_every_table_row_takes_effect_on_its_date(segment, exchange, name, since) -> None:
    """The compiled model row (what the simulator uses) switches at IST midnight of ``since``."""
    model = {
        "equity_intraday": IndiaEquityIntradayFees,
        "futures": IndiaIndexFuturesFees,
        "options": IndiaIndexOptionsFees,
    }[segment](exchange=exchange)
    table = _tables(segment, exchange)[name]
    rows = dict(model.schedule())
    i = [d for d, _ in table].index(since)
    before = max(d for d in rows if d < since)
    assert getattr(rows[before], name) == table[i - 1][1]
    assert getattr(rows[since], name) == table[i][1]


def test_tables_are_ascending_and_start_together() -> None:
    for segment in r.SEGMENTS:
        for exchange in ("NSE", "BSE"):
            for table in _tables(segment, exchange).values():
                days = [d for d, _ in table]
                assert days == sorted(set(days)) and days[0] == r.HISTORY_START


def test_trades_before_the_history_use_its_first_row() -> None:
    assert charges(OPT, 100, 1000, "sell", D(2010, 1, 4))["stt"] == 50  # 0.05%, documented


def test_unknown_exchange_is_rejected() -> None:
    with pytest.raises(ValueError, match="exchange must be one of"):
        IndiaIndexOptionsFees(exchange="MCX").table()  # type: ignore[arg-type]
