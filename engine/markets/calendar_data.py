"""Data tables for :mod:`engine.markets.calendar`: holidays, special sessions, expiry rules, lots.

Every rule is keyed by the date from which it applies, so a change is a new row, never an edit.
Sources are given next to each table; where a fact could not be checked against the exchange's
own circular the comment says so ("UNVERIFIED").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from engine.markets.holidays_data import HOLIDAYS as _GEN_HOLIDAYS
from engine.markets.holidays_data import MUHURAT as _GEN_MUHURAT

MON, TUE, WED, THU, FRI = range(5)

EXCHANGES = ("NSE", "BSE")


# ---------------------------------------------------------------------------------------------
# Sessions
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Session:
    """One day's trading hours in IST (normal market; F&O and equity share them).

    ``breaks`` are halts inside ``[open, close)`` (the 2024 disaster-recovery drills traded
    09:15-10:00 on the primary site and 11:30-12:30 on the DR site). ``kind`` is ``"regular"``,
    ``"special"`` (a full extra session on a weekend), ``"muhurat"`` or ``"dr"``; only regular and
    special sessions are *full* sessions, the ones expiries and trading_days() count by default.
    """

    open: time
    close: time
    kind: str = "regular"
    breaks: tuple[tuple[time, time], ...] = ()
    note: str = ""

    @property
    def full(self) -> bool:
        return self.kind in ("regular", "special")

    @property
    def segments(self) -> tuple[tuple[time, time], ...]:
        """The continuous trading windows, in order."""
        out: list[tuple[time, time]] = []
        start = self.open
        for b_start, b_end in self.breaks:
            out.append((start, b_start))
            start = b_end
        out.append((start, self.close))
        return tuple(out)

    @property
    def minutes(self) -> int:
        """Traded minutes (one-minute bars) in the session."""
        return sum(_mins(b) - _mins(a) for a, b in self.segments)


def _mins(t: time) -> int:
    return t.hour * 60 + t.minute


# Regular hours by effective date (pandas_market_calendars 5.5.0, NSE calendar, which cites the
# NSE circulars): 09:55 open until 2010-01-03; 09:00 from 2010-01-04; 09:15 from 2010-10-18, when
# the 09:00-09:15 pre-open call auction began. The repo's 2009 NIFTY file starts at 09:55.
REGULAR_HOURS: tuple[tuple[date, time, time], ...] = (
    (date(1900, 1, 1), time(9, 55), time(15, 30)),
    (date(2010, 1, 4), time(9, 0), time(15, 30)),
    (date(2010, 10, 18), time(9, 15), time(15, 30)),
)

_DR_2024 = ((time(10, 0), time(11, 30)),)
_FULL = (time(9, 15), time(15, 30))

# Weekday Muhurat sessions come from the generated module (see below). Hand-written here are the
# sessions a Mon-Fri calendar library cannot hold, and the 2021-02-24 outage. Every weekend date
# below is confirmed by an official NIFTY close in /work/shared/data/
# nifty50_daily_2000-01_2024-02_niftyindices.csv.gz unless the comment says otherwise.
# - Weekend Muhurat 2009-10-17, 2013-11-03, 2016-10-30, 2019-10-27, 2020-11-14: dates confirmed
#   by that file; TIMES UNVERIFIED (from memory of press reports; the NSE circular of each year
#   would confirm them). 2023-11-12 18:15-19:15 (press reports of the NSE circular).
# - Saturday full sessions: 2015-02-28 and 2020-02-01 (Union Budget; the 2020 one is also in the
#   BANKNIFTY 15-min file, 09:15-15:30), 2024-01-20 (NSE circular of 2024-01-19; MIDCPNIFTY/BANKEX
#   expiries of 2024-01-22 moved to it), 2025-02-01 (Budget; NSE circular of Jan 2025, date and
#   hours as reported, UNVERIFIED against the circular), 2026-02-01 (Sunday Budget session, as
#   reported in Jan 2026: UNVERIFIED).
# - Other Saturday sessions in the index file: 2010-02-06, 2012-01-07, 2012-03-03, 2012-04-28,
#   2012-09-08, 2013-05-11, 2014-03-22 (special live sessions, several of them from the DR site).
#   Their HOURS ARE UNVERIFIED: a full 09:15-15:30 session is assumed (09:00 for 2010); the NSE
#   circular announcing each would confirm the times.
# - 2024-03-02 and 2024-05-18 (Sat): DR drills, 09:15-10:00 primary + 11:30-12:30 DR. The March
#   times are from NSE's circular as reported; for May one report says 11:45-12:40, but the 1-min
#   file in /work/shared/data has 09:15-09:59 and 11:30-12:29 bars (105), so 11:30-12:30 is used.
# - 2021-02-24: NSE's telecom outage halted trading 11:40-15:45 and the day ran to 17:00
#   (pandas_market_calendars models the same interruption; SOURCES.md shows the 15:45-17:00
#   bars). BSE traded normally but also extended to 17:00; one session is kept for both.
# - 2026-11-08 (Sun) Muhurat: date from INTEGRATIONS.md; TIME UNVERIFIED (not yet announced when
#   this was written): 18:00-19:00 assumed, as in 2024.
_HAND_SESSIONS: dict[date, Session] = {
    date(2009, 10, 17): Session(time(18, 0), time(19, 0), "muhurat", note="Muhurat (time assumed)"),
    date(2010, 2, 6): Session(time(9, 0), time(15, 30), "special", note="Saturday (hours assumed)"),
    date(2012, 1, 7): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2012, 3, 3): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2012, 4, 28): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2012, 9, 8): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2013, 5, 11): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2013, 11, 3): Session(
        time(18, 15), time(19, 30), "muhurat", note="Muhurat (time assumed)"
    ),
    date(2014, 3, 22): Session(*_FULL, "special", note="Saturday (hours assumed)"),
    date(2015, 2, 28): Session(*_FULL, "special", note="Saturday Budget session"),
    date(2016, 10, 30): Session(
        time(18, 30), time(19, 30), "muhurat", note="Muhurat (time assumed)"
    ),
    date(2019, 10, 27): Session(
        time(18, 15), time(19, 15), "muhurat", note="Muhurat (time assumed)"
    ),
    date(2020, 2, 1): Session(*_FULL, "special", note="Saturday Budget session"),
    date(2020, 11, 14): Session(
        time(18, 15), time(19, 15), "muhurat", note="Muhurat (time assumed)"
    ),
    date(2021, 2, 24): Session(
        time(9, 15), time(17, 0), "special", ((time(11, 40), time(15, 45)),), note="NSE outage"
    ),
    date(2023, 11, 12): Session(time(18, 15), time(19, 15), "muhurat", note="Muhurat Samvat 2080"),
    date(2024, 1, 20): Session(*_FULL, "special", note="Saturday full session"),
    date(2024, 3, 2): Session(time(9, 15), time(12, 30), "dr", _DR_2024, note="DR drill"),
    date(2024, 5, 18): Session(time(9, 15), time(12, 30), "dr", _DR_2024, note="DR drill"),
    date(2025, 2, 1): Session(*_FULL, "special", note="Saturday Budget session"),
    date(2026, 2, 1): Session(*_FULL, "special", note="Sunday Budget session (unverified)"),
    date(2026, 11, 8): Session(
        time(18, 0), time(19, 0), "muhurat", note="Muhurat Samvat 2083 (time assumed)"
    ),
}

# Special sessions (same on NSE and BSE): the generated weekday Muhurat sessions plus the above.
SPECIAL_SESSIONS: dict[date, Session] = {
    **{d: Session(op, cl, "muhurat", note="Muhurat") for d, (op, cl) in _GEN_MUHURAT.items()},
    **_HAND_SESSIONS,
}

# ---------------------------------------------------------------------------------------------
# Holidays (weekdays only: a holiday on a weekend changes nothing)
# ---------------------------------------------------------------------------------------------
# Generated by scripts/gen_holidays.py from pandas_market_calendars 5.5.0 (curated from the NSE
# and BSE holiday circulars), 2009-2026, into engine.markets.holidays_data; a Muhurat weekday is
# a holiday with an evening session. Checked by engine/tests/test_markets_holidays.py against the
# library when it is installed, against the official NIFTY daily closes 2009-2024 (every weekday
# close falls on a non-holiday and every non-holiday has a close), and against the circular lists
# of 2024-2026 (NSE circular of Dec 2023 plus the 2024 additions Jan 22, May 20, Nov 20; NSE
# circular of Dec 2024; INTEGRATIONS.md for 2026).
# Corrections to the generated tables, each with its reason (date -> True: closed, False: open):
# - BSE 2020-05-25 (Id-ul-Fitr) closed and 2020-07-31 open: the library's BSE list has them the
#   other way round; exchange_calendars 4.13.2 (XBOM) and NSE's list agree with the correction,
#   and the NSE BANKNIFTY file trades on 2020-07-31. UNVERIFIED against the BSE circular.
HOLIDAY_OVERRIDES: dict[str, dict[date, bool]] = {
    "NSE": {},
    "BSE": {date(2020, 5, 25): True, date(2020, 7, 31): False},
}


def _holidays(exchange: str) -> dict[int, frozenset[date]]:
    fixes = HOLIDAY_OVERRIDES[exchange]
    out: dict[int, frozenset[date]] = {}
    for year, days in _GEN_HOLIDAYS[exchange].items():
        closed = {d for d in days if fixes.get(d, True)}
        closed |= {d for d, shut in fixes.items() if shut and d.year == year}
        out[year] = frozenset(closed)
    return out


HOLIDAYS: dict[str, dict[int, frozenset[date]]] = {ex: _holidays(ex) for ex in EXCHANGES}

# ---------------------------------------------------------------------------------------------
# Underlyings
# ---------------------------------------------------------------------------------------------
EXCHANGE_OF: dict[str, str] = {
    "NIFTY": "NSE",
    "BANKNIFTY": "NSE",
    "FINNIFTY": "NSE",
    "MIDCPNIFTY": "NSE",
    "SENSEX": "BSE",
    "BANKEX": "BSE",
}

ALIASES: dict[str, str] = {
    "NIFTY50": "NIFTY",
    "NIFTY 50": "NIFTY",
    "NIFTYBANK": "BANKNIFTY",
    "NIFTY BANK": "BANKNIFTY",
    "NIFTY FIN SERVICE": "FINNIFTY",
    "NIFTY MID SELECT": "MIDCPNIFTY",
}

# BANKEX 100: UNVERIFIED (common strike interval seen in option chains).
STRIKE_STEPS: dict[str, int] = {
    "NIFTY": 50,
    "BANKNIFTY": 100,
    "FINNIFTY": 50,
    "MIDCPNIFTY": 25,
    "SENSEX": 100,
    "BANKEX": 100,
}


@dataclass(frozen=True, slots=True)
class ExpiryRule:
    """From ``since`` (by nominal expiry date): weekly expiry weekday, monthly last-weekday.

    ``None`` means no such series. Weekday numbers follow ``date.weekday()`` (Mon 0 ... Fri 4).
    """

    since: date
    weekly: int | None
    monthly: int | None


# Sources (press reports of the circulars unless said otherwise):
# - NIFTY: monthly last Thursday since F&O launch (2000-06-12); weekly Thursday since 2019-02-11
#   (weekly options launch, from memory); Tuesday weekly + last Tuesday monthly from 2025-09-01
#   (INTEGRATIONS.md). NIFTY kept its weekly after 2024-11-20 (SEBI: one weekly per exchange).
# - BANKNIFTY: monthly last Thursday (2005-06-13 launch, from memory); weekly Thursday from
#   2016-05-27 (from memory); weekly Wednesday from 2023-09-04 (NSE circular 2023-07-12);
#   monthly last Wednesday from 2024-03-01 (NSE circular 2023-12-29); weeklies end 2024-11-20;
#   monthly last Thursday from 2025-01-01 (NSE circular 2024-11-29); last Tuesday from 2025-09-01.
# - FINNIFTY: weekly Tuesday / monthly last Tuesday since 2021-01-11 (launch, from memory); then
#   as BANKNIFTY from 2024-11-20.
# - MIDCPNIFTY: weekly Monday / monthly last Monday (as of March 2024, Livemint 2024-03-01);
#   modelled from 2024-01-01 only (earlier history UNVERIFIED); then as BANKNIFTY.
# - SENSEX: weekly Friday / monthly last Friday since the 2023-05-15 relaunch (from memory);
#   Tuesday from 2025-01-01 (BSE circular 2024-11-28; the weekly of 2025-01-03 kept its Friday);
#   Thursday from 2025-09-01 (INTEGRATIONS.md).
# - BANKEX: weekly Monday / monthly last Monday, modelled from 2024-01-01 (UNVERIFIED before);
#   weekly ends 2024-11-20 (only SENSEX kept a BSE weekly); monthly last Tuesday from 2025-01-01
#   (BSE circular 2024-11-28); last Thursday from 2025-09-01 (assumed to follow SENSEX).
EXPIRY_RULES: dict[str, tuple[ExpiryRule, ...]] = {
    "NIFTY": (
        ExpiryRule(date(2000, 6, 12), None, THU),
        ExpiryRule(date(2019, 2, 11), THU, THU),
        ExpiryRule(date(2025, 9, 1), TUE, TUE),
    ),
    "BANKNIFTY": (
        ExpiryRule(date(2005, 6, 13), None, THU),
        ExpiryRule(date(2016, 5, 27), THU, THU),
        ExpiryRule(date(2023, 9, 4), WED, THU),
        ExpiryRule(date(2024, 3, 1), WED, WED),
        ExpiryRule(date(2024, 11, 20), None, WED),
        ExpiryRule(date(2025, 1, 1), None, THU),
        ExpiryRule(date(2025, 9, 1), None, TUE),
    ),
    "FINNIFTY": (
        ExpiryRule(date(2021, 1, 11), TUE, TUE),
        ExpiryRule(date(2024, 11, 20), None, TUE),
        ExpiryRule(date(2025, 1, 1), None, THU),
        ExpiryRule(date(2025, 9, 1), None, TUE),
    ),
    "MIDCPNIFTY": (
        ExpiryRule(date(2024, 1, 1), MON, MON),
        ExpiryRule(date(2024, 11, 20), None, MON),
        ExpiryRule(date(2025, 1, 1), None, THU),
        ExpiryRule(date(2025, 9, 1), None, TUE),
    ),
    "SENSEX": (
        ExpiryRule(date(2023, 5, 15), FRI, FRI),
        ExpiryRule(date(2025, 1, 1), TUE, TUE),
        ExpiryRule(date(2025, 9, 1), THU, THU),
    ),
    "BANKEX": (
        ExpiryRule(date(2024, 1, 1), MON, MON),
        ExpiryRule(date(2024, 11, 20), None, MON),
        ExpiryRule(date(2025, 1, 1), None, TUE),
        ExpiryRule(date(2025, 9, 1), None, THU),
    ),
}

# Nominal expiries that the rules above do not produce (transition exceptions).
EXTRA_EXPIRIES: dict[tuple[str, str], tuple[date, ...]] = {
    ("SENSEX", "weekly"): (date(2025, 1, 3),),  # BSE kept this weekly on its Friday
}

# Market lots by TRADE DATE: a row gives the lot of the contracts listed (new series) from that
# day on. How the exchanges apply a revision:
# - a reduction (e.g. NIFTY 50 -> 25 in 2024) applies to every contract after the monthly expiry
#   (existing contracts are split at that day's close), so the trade date is exact;
# - an increase (2024-11-20, BANKNIFTY 30 -> 35 in 2025) applies to new series only: contracts
#   listed before it kept the old lot until they expired (for 2024-11-20 the long-dated ones were
#   revised after the 2024-12-26 expiry). Modelled simplification: from the row's date every bar
#   uses the new lot, as if one traded a newly listed series. A position in an older series
#   between the two dates would have had the old lot; pass ``lot_size=`` explicitly to model it.
# Sources and confidence:
# - NIFTY 25 -> 75 on 2015-10-30 (SEBI circular CIR/MRD/DP/14/2015 of 2015-07-13 raising the
#   minimum contract value to Rs 5 lakh; NSE revised lots from the Nov 2015 series).
#   UNVERIFIED: the date is remembered as the day after the Oct 2015 expiry; NSE's lot-revision
#   circular of 2015 would confirm it. The rows before it (50, then 25 from 2014) likewise.
# - NIFTY 75 -> 50 on 2021-07-30 (after the July 2021 expiry, NSE semi-annual lot review of
#   April 2021). UNVERIFIED: the day; NSE circular of April 2021 would confirm it.
# - BANKNIFTY 25 -> 40 on 2015-10-30 (same SEBI circular), 40 -> 20 on 2018-10-26, 20 -> 25 on
#   2020-05-29, 25 -> 15 on 2023-06-30 (the first day of the July 2023 series).
#   UNVERIFIED: all four days (remembered as the day after a monthly expiry); NSE's lot
#   revision circulars of those years would confirm them. The 25 -> 15 step is the brief's.
# - NIFTY 50 -> 25 from 2024-04-26 (after the April 2024 expiry; NSE circular of 2024-04-03 as
#   reported by Business Standard); FINNIFTY 40 -> 25 and MIDCPNIFTY 75 -> 50 from the July 2024
#   series (same circular), dated 2024-07-01 here; BANKNIFTY unchanged at 15.
# - 2024-11-20 (SEBI circular SEBI/HO/MRD/TPD-1/P/CIR/2024/132 of 2024-10-01: minimum contract
#   value Rs 15 lakh; NSE circular of 2024-10-04): NIFTY 75, BANKNIFTY 30, FINNIFTY 65,
#   MIDCPNIFTY 120, SENSEX 20 (from 10), BANKEX 30 (from 15). The SENSEX 10 and BANKEX 15 values
#   before it are from memory (UNVERIFIED; BSE's relaunch notices of 2023 would confirm them).
# - BANKNIFTY 30 -> 35 and MIDCPNIFTY 120 -> 140 for the series listed from 2025-04-25 (the
#   first of them the July 2025 expiry; NSE circular of 2025-03-28, as reported). UNVERIFIED:
#   the listing day; the circular would confirm it.
# - From 2025-12-31 (after the Dec 2025 expiry of 2025-12-30): NIFTY 65, BANKNIFTY 30, FINNIFTY
#   60, MIDCPNIFTY 120 (NSE circular NSE/FAOP/70616 of 2025-10-03; INTEGRATIONS.md says "for
#   contracts from January 2026"). UNVERIFIED: the exact first trade date of the new lots.
# - FINNIFTY launched 2021-01-11 with lot 40, MIDCPNIFTY 2022-01-24 with 75, SENSEX options
#   relaunched 2023-05-15 with 10, BANKEX 2023-10-16 with 15 (launch lots from memory,
#   UNVERIFIED). Dates before the first row are not covered (ValueError).
LOT_SIZES: dict[str, tuple[tuple[date, int], ...]] = {
    "NIFTY": (
        (date(2010, 1, 1), 50),
        (date(2014, 1, 1), 25),
        (date(2015, 10, 30), 75),
        (date(2021, 7, 30), 50),
        (date(2024, 4, 26), 25),
        (date(2024, 11, 20), 75),
        (date(2025, 12, 31), 65),
    ),
    "BANKNIFTY": (
        (date(2010, 1, 1), 25),
        (date(2015, 10, 30), 40),
        (date(2018, 10, 26), 20),
        (date(2020, 5, 29), 25),
        (date(2023, 6, 30), 15),
        (date(2024, 11, 20), 30),
        (date(2025, 4, 25), 35),
        (date(2025, 12, 31), 30),
    ),
    "FINNIFTY": (
        (date(2021, 1, 11), 40),
        (date(2024, 7, 1), 25),
        (date(2024, 11, 20), 65),
        (date(2025, 12, 31), 60),
    ),
    "MIDCPNIFTY": (
        (date(2022, 1, 24), 75),
        (date(2024, 7, 1), 50),
        (date(2024, 11, 20), 120),
        (date(2025, 4, 25), 140),
        (date(2025, 12, 31), 120),
    ),
    "SENSEX": (
        (date(2023, 5, 15), 10),
        (date(2024, 11, 20), 20),
    ),
    "BANKEX": (
        (date(2023, 10, 16), 15),
        (date(2024, 11, 20), 30),
    ),
}
