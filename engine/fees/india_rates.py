"""Indian statutory and exchange charges, each rate with the trade date it took effect.

Every table is ``((since, rate), ...)`` ascending: a rate applies to trades from ``since`` (IST)
until the next row. Rates are fractions of turnover (options: of premium turnover). The first
row of every table is ``HISTORY_START``; trades before it use the first row (the tables are
not meant for them). A change is a new row, never an edit, and carries its source.

"UNVERIFIED" marks a figure encoded from memory of a broker's charges page or a press report
that the exchange's or the government's own document was not available to confirm; the comment
says what would confirm it. docs/adr/0010-dated-market-facts.md lists them.

Where the exchange charged members by monthly turnover slab (NSE to 2024-09-30, BSE SENSEX and
BANKEX options to 2024-09-30), the table holds the flat rate discount brokers passed on to
clients, which is what a retail contract note showed.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from engine.fees.base import NONE, FeeRates

Segment = Literal["equity_intraday", "futures", "options"]
Dated = tuple[tuple[date, float], ...]

HISTORY_START = date(2016, 6, 1)  # Finance Act 2016: options STT 0.017% -> 0.05% on this day
SEGMENTS: tuple[Segment, ...] = ("equity_intraday", "futures", "options")

# --- GST on brokerage + exchange + SEBI + IPFT ------------------------------------------------
# Service tax 14% + Swachh Bharat cess 0.5% + Krishi Kalyan cess 0.5% = 15% from 2016-06-01
# (Finance Act 2016); GST 18% on financial services from 2017-07-01 (CGST/IGST rate notification
# 11/2017 and 8/2017 of 2017-06-28).
GST: Dated = ((HISTORY_START, 0.15), (date(2017, 7, 1), 0.18))

# --- SEBI turnover fee ------------------------------------------------------------------------
# Rs 15 per crore until 2020-05-31, Rs 10 per crore from 2020-06-01 (SEBI's 2020 cut of the
# brokers' turnover fee; broker pages went from "Rs 15 / crore" to "Rs 10 / crore" in mid-2020).
# UNVERIFIED: the effective date is remembered, not read; the SEBI notification amending the
# fee schedule of the Stock Brokers Regulations would confirm it.
SEBI: Dated = ((HISTORY_START, 0.0000015), (date(2020, 6, 1), 0.000001))

# --- STT (sell side; options on premium) -------------------------------------------------------
# Finance Act 2016 (options 0.05% from 2016-06-01); Finance Act 2023 (from 2023-04-01: options
# 0.0625%, futures 0.0125%); Finance (No. 2) Act 2024 (from 2024-10-01: options 0.1%, futures
# 0.02%); Finance Act 2026 (from 2026-04-01: options 0.15%, futures 0.05%), INTEGRATIONS.md.
# Futures 0.01% since Finance Act 2013. Equity intraday 0.025% on sell throughout.
# Not modelled: 0.125% on the intrinsic value of options exercised at expiry (a backtest closes
# positions before expiry).
STT_SELL: dict[Segment, Dated] = {
    "equity_intraday": ((HISTORY_START, 0.00025),),
    "futures": (
        (HISTORY_START, 0.0001),
        (date(2023, 4, 1), 0.000125),
        (date(2024, 10, 1), 0.0002),
        (date(2026, 4, 1), 0.0005),
    ),
    "options": (
        (HISTORY_START, 0.0005),
        (date(2023, 4, 1), 0.000625),
        (date(2024, 10, 1), 0.001),
        (date(2026, 4, 1), 0.0015),
    ),
}

# --- Stamp duty (buy side) ---------------------------------------------------------------------
# Uniform from 2020-07-01 (Indian Stamp Act amended by the Finance Act 2019, rules notified
# 2020-03-30; deferred twice to 2020-07-01): equity intraday 0.003%, futures 0.002%, options
# 0.003%. Before that it was levied by each state on the client's address. We pick Maharashtra
# (the exchanges and most brokers are in Mumbai): 0.002% of turnover for F&O and intraday equity
# (Maharashtra Stamp Act, Article 5(a)(ii) as broker pages stated it). UNVERIFIED: the 0.002%
# figure for intraday equity and options; the Maharashtra schedule or an archived broker page of
# 2019 would confirm it. Old state duty was on both sides at some brokers; we keep buy side.
STAMP_BUY: dict[Segment, Dated] = {
    "equity_intraday": ((HISTORY_START, 0.00002), (date(2020, 7, 1), 0.00003)),
    "futures": ((HISTORY_START, 0.00002), (date(2020, 7, 1), 0.00002)),
    "options": ((HISTORY_START, 0.00002), (date(2020, 7, 1), 0.00003)),
}

# --- Exchange transaction charges --------------------------------------------------------------
# NSE:
# - to 2020-12-31: cash 0.00325%, futures 0.0019%, options 0.05% (Rs 325 / 190 / 5,000 per
#   crore). UNVERIFIED: broker pages of 2018-2020 as remembered; the NSE circular of each
#   revision (slab tables) would confirm them.
# - 2021-01-01: +6% "to augment the NSE IPFT corpus" (NSE press release of 2023-03-24 says when):
#   0.00345%, 0.002%, 0.053% (the broker-page figures, 6% over the above).
# - 2023-04-01: the 6% rolled back, and the IPFT contribution raised from Rs 0.01 to Rs 10 per
#   crore (cash, futures) and Rs 50 (options) (NSE press release 2023-03-24, "effective reduction
#   of about 4%"): 0.00322%, 0.00188%, 0.0495%. UNVERIFIED: these three figures are the broker
#   pages' (Zerodha 2023-24) as remembered, each 1% under the 2020 rates.
# - 2024-10-01: flat rates for all members (SEBI circular SEBI/HO/MRD/MRD-PoD-3/P/CIR/2024/90 of
#   2024-07-01 on MII charges; NSE circular of 2024-09-27): 0.00297%, 0.00173%, 0.03503%.
# BSE:
# - cash (A/B groups): Rs 300 per crore (0.003%) to 2022-11-30, Rs 375 flat from 2022-12-01
#   (BSE notice as quoted on broker pages). UNVERIFIED: the 0.003% before.
# - index/stock futures: nil throughout (BSE notices 2024-09-27 "no transaction fee").
# - SENSEX/BANKEX options (relaunched 2023-05-15): Rs 500 per crore (0.005%) to 2023-10-31 (BSE
#   notice 20220425-2, the rate the Nov 2023 notice keeps as its first slab; UNVERIFIED as the
#   client rate); Rs 3,750 per crore from 2023-11-01 (notice 20231020-46, slab Rs 3-100 crore of
#   monthly premium); Rs 4,950 from 2024-05-13 (BSE notice of 2024-04-29, same slab); Rs 3,250
#   flat from 2024-10-01 (BSE notice of 2024-09-27). The slab rates stand for a broker's client
#   rate: UNVERIFIED (a broker's archived charges page of 2023-24 would confirm it).
EXCHANGE: dict[tuple[str, Segment], Dated] = {
    ("NSE", "equity_intraday"): (
        (HISTORY_START, 0.0000325),
        (date(2021, 1, 1), 0.0000345),
        (date(2023, 4, 1), 0.0000322),
        (date(2024, 10, 1), 0.0000297),
    ),
    ("NSE", "futures"): (
        (HISTORY_START, 0.000019),
        (date(2021, 1, 1), 0.00002),
        (date(2023, 4, 1), 0.0000188),
        (date(2024, 10, 1), 0.0000173),
    ),
    ("NSE", "options"): (
        (HISTORY_START, 0.0005),
        (date(2021, 1, 1), 0.00053),
        (date(2023, 4, 1), 0.000495),
        (date(2024, 10, 1), 0.0003503),
    ),
    ("BSE", "equity_intraday"): ((HISTORY_START, 0.00003), (date(2022, 12, 1), 0.0000375)),
    ("BSE", "futures"): ((HISTORY_START, 0.0),),
    ("BSE", "options"): (
        (HISTORY_START, 0.00005),
        (date(2023, 11, 1), 0.000375),
        (date(2024, 5, 13), 0.000495),
        (date(2024, 10, 1), 0.000325),
    ),
}

# --- NSE Investor Protection Fund Trust --------------------------------------------------------
# Rs 0.01 per crore until 2023-03-31; Rs 10 per crore (cash, futures) and Rs 50 per crore
# (options) from 2023-04-01 (NSE press release 2023-03-24). BSE: not charged separately.
_IPFT_OLD = 0.01 / 1e7
IPFT: dict[tuple[str, Segment], Dated] = {
    ("NSE", "equity_intraday"): ((HISTORY_START, _IPFT_OLD), (date(2023, 4, 1), 0.000001)),
    ("NSE", "futures"): ((HISTORY_START, _IPFT_OLD), (date(2023, 4, 1), 0.000001)),
    ("NSE", "options"): ((HISTORY_START, _IPFT_OLD), (date(2023, 4, 1), 0.000005)),
    ("BSE", "equity_intraday"): ((HISTORY_START, 0.0),),
    ("BSE", "futures"): ((HISTORY_START, 0.0),),
    ("BSE", "options"): ((HISTORY_START, 0.0),),
}

# --- Brokerage -----------------------------------------------------------------------------------
# Dhan's discount-broker model (INTEGRATIONS.md): min(Rs 20, 0.03%) per executed order for
# intraday equity and futures, a flat Rs 20 for options. The same shape has been the discount
# brokers' since before 2016 (Zerodha's charges page), so it is not dated; pass another
# ``brokerage`` to the model (or a custom model) for a different broker.
BROKERAGE_PCT: dict[Segment, float] = {
    "equity_intraday": 0.0003,
    "futures": 0.0003,
    "options": NONE,
}


def rate_on(table: Dated, on: date) -> float:
    """The rate in force on trade date ``on`` (the first row for earlier dates)."""
    value = table[0][1]
    for since, rate in table:
        if since > on:
            break
        value = rate
    return value


def change_dates(segment: Segment, exchange: str) -> list[date]:
    """Every date on which some charge of ``segment`` on ``exchange`` changed, ascending."""
    tables = (
        GST,
        SEBI,
        STT_SELL[segment],
        STAMP_BUY[segment],
        EXCHANGE[(exchange, segment)],
        IPFT[(exchange, segment)],
    )
    return sorted({since for table in tables for since, _ in table})


def rates_on(segment: Segment, exchange: str, on: date, brokerage: float) -> FeeRates:
    """All of ``segment``'s rates on ``exchange`` in force on trade date ``on``."""
    return FeeRates(
        brokerage_flat=brokerage,
        brokerage_pct=BROKERAGE_PCT[segment],
        stt_sell=rate_on(STT_SELL[segment], on),
        exchange=rate_on(EXCHANGE[(exchange, segment)], on),
        sebi=rate_on(SEBI, on),
        ipft=rate_on(IPFT[(exchange, segment)], on),
        stamp_buy=rate_on(STAMP_BUY[segment], on),
        gst=rate_on(GST, on),
        indian_rounding=True,
    )


def schedule(segment: Segment, exchange: str, brokerage: float) -> list[tuple[date, FeeRates]]:
    """One :class:`FeeRates` row per change date: the model's full dated schedule."""
    if (exchange, segment) not in EXCHANGE:
        known = sorted({ex for ex, _ in EXCHANGE})
        raise ValueError(f"exchange must be one of {known}, got {exchange!r}")
    return [(d, rates_on(segment, exchange, d, brokerage)) for d in change_dates(segment, exchange)]
