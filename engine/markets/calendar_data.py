"""Data tables for :mod:`engine.markets.calendar`: holidays, special sessions, expiry rules, lots.

Every rule is keyed by the date from which it applies, so a change is a new row, never an edit.
Sources are given next to each table; where a fact could not be checked against the exchange's
own circular the comment says so ("UNVERIFIED").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

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


# Regular hours by effective date. NSE/BSE moved the open from 09:55 to 09:15 on 2010-01-04
# (source: SEBI/NSE circular of Dec 2009 as remembered; the repo's 2009 NIFTY file starts at 09:55).
REGULAR_HOURS: tuple[tuple[date, time, time], ...] = (
    (date(1900, 1, 1), time(9, 55), time(15, 30)),
    (date(2010, 1, 4), time(9, 15), time(15, 30)),
)

_DR_2024 = ((time(10, 0), time(11, 30)),)

# Special sessions (same on NSE and BSE). Muhurat times are the normal-market window.
# - 2021-11-04, 2022-10-24, 2023-11-12: 18:15-19:15 (press reports of the NSE circulars; the 2021
#   and 2022 sessions are present in /work/shared/data at those times).
# - 2024-01-20 (Sat): full regular session, NSE circular of 2024-01-19 (Ram Mandir holiday on the
#   22nd); MIDCPNIFTY/BANKEX expiries of 2024-01-22 moved to this day.
# - 2024-03-02 and 2024-05-18 (Sat): DR drills, 09:15-10:00 primary + 11:30-12:30 DR. The March
#   times are from NSE's circular as reported; for May one report says 11:45-12:40, but the 1-min
#   file in /work/shared/data has 09:15-09:59 and 11:30-12:29 bars (105), so 11:30-12:30 is used.
# - 2024-11-01 18:00-19:00 (NSE/BSE circulars as reported), 2025-10-21 13:45-14:45 (NSE circular
#   as reported).
# - 2026-11-08 (Sun) Muhurat: date from INTEGRATIONS.md; TIME UNVERIFIED (not yet announced when
#   this was written): 18:00-19:00 assumed, as in 2024.
SPECIAL_SESSIONS: dict[date, Session] = {
    date(2021, 11, 4): Session(time(18, 15), time(19, 15), "muhurat", note="Muhurat Samvat 2078"),
    date(2022, 10, 24): Session(time(18, 15), time(19, 15), "muhurat", note="Muhurat Samvat 2079"),
    date(2023, 11, 12): Session(time(18, 15), time(19, 15), "muhurat", note="Muhurat Samvat 2080"),
    date(2024, 1, 20): Session(time(9, 15), time(15, 30), "special", note="Saturday full session"),
    date(2024, 3, 2): Session(time(9, 15), time(12, 30), "dr", _DR_2024, note="DR drill"),
    date(2024, 5, 18): Session(time(9, 15), time(12, 30), "dr", _DR_2024, note="DR drill"),
    date(2024, 11, 1): Session(time(18, 0), time(19, 0), "muhurat", note="Muhurat Samvat 2081"),
    date(2025, 10, 21): Session(time(13, 45), time(14, 45), "muhurat", note="Muhurat Samvat 2082"),
    date(2026, 11, 8): Session(
        time(18, 0), time(19, 0), "muhurat", note="Muhurat Samvat 2083 (time assumed)"
    ),
}

# ---------------------------------------------------------------------------------------------
# Holidays (weekdays only: a holiday on a weekend changes nothing)
# ---------------------------------------------------------------------------------------------
# 2024: NSE circular of Dec 2023 (Jan 26 ... Dec 25) plus the holidays added during the year:
#   Jan 22 (Ram Mandir, NSE/BSE press release of 2024-01-19), May 20 (Lok Sabha poll in Mumbai),
#   Nov 20 (Maharashtra assembly poll). Jan-Aug checked against the 2024 NIFTY 1-min file.
# 2025: NSE circular of Dec 2024, from memory (press lists agree; not checked against the PDF).
# 2026: /work/shared/INTEGRATIONS.md.
# BSE: the same days as NSE for 2024-2026 (both exchanges observe the same list; 2026 BSE list
#   UNVERIFIED, assumed equal to NSE's).
_NSE_HOLIDAYS: dict[int, tuple[tuple[int, int], ...]] = {
    2024: (
        (1, 22),  # special holiday: Ram Mandir consecration
        (1, 26),  # Republic Day
        (3, 8),  # Mahashivratri
        (3, 25),  # Holi
        (3, 29),  # Good Friday
        (4, 11),  # Id-ul-Fitr
        (4, 17),  # Ram Navami
        (5, 1),  # Maharashtra Day
        (5, 20),  # general election (Mumbai)
        (6, 17),  # Bakri Id
        (7, 17),  # Moharram
        (8, 15),  # Independence Day
        (10, 2),  # Gandhi Jayanti
        (11, 1),  # Diwali Laxmi Pujan (Muhurat session in the evening)
        (11, 15),  # Gurunanak Jayanti
        (11, 20),  # Maharashtra assembly election
        (12, 25),  # Christmas
    ),
    2025: (
        (2, 26),  # Mahashivratri
        (3, 14),  # Holi
        (3, 31),  # Id-ul-Fitr
        (4, 10),  # Mahavir Jayanti
        (4, 14),  # Ambedkar Jayanti
        (4, 18),  # Good Friday
        (5, 1),  # Maharashtra Day
        (8, 15),  # Independence Day
        (8, 27),  # Ganesh Chaturthi
        (10, 2),  # Gandhi Jayanti / Dussehra
        (10, 21),  # Diwali Laxmi Pujan (Muhurat session in the afternoon)
        (10, 22),  # Balipratipada
        (11, 5),  # Gurunanak Jayanti
        (12, 25),  # Christmas
    ),
    2026: (
        (1, 15),
        (1, 26),
        (3, 3),
        (3, 26),
        (3, 31),
        (4, 3),
        (4, 14),
        (5, 1),
        (5, 28),
        (6, 26),
        (9, 14),
        (10, 2),
        (10, 20),
        (11, 10),
        (11, 24),
        (12, 25),
    ),
}


def _table(src: dict[int, tuple[tuple[int, int], ...]]) -> dict[int, frozenset[date]]:
    return {y: frozenset(date(y, m, d) for m, d in days) for y, days in src.items()}


HOLIDAYS: dict[str, dict[int, frozenset[date]]] = {
    "NSE": _table(_NSE_HOLIDAYS),
    "BSE": _table(_NSE_HOLIDAYS),
}

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

# Market lots keyed by the contract's EXPIRY date (exchanges revise lots by expiry cycle: the
# first contracts with a new lot are those expiring on or after the date below).
# - NIFTY 50 -> 25 from contracts listed 2024-04-26 (first weekly expiry 2024-05-02); FINNIFTY
#   40 -> 25 and MIDCPNIFTY 75 -> 50 from the July 2024 expiries; BANKNIFTY unchanged at 15
#   (NSE circular of 2024-04-03 as reported by Business Standard).
# - 2024-11-20 (SEBI minimum contract value): NIFTY 75, BANKNIFTY 30, FINNIFTY 65,
#   MIDCPNIFTY 120, SENSEX 20 (from 10), BANKEX 30 (from 15). Contracts already listed then
#   kept the old lot until they expired; that nuance is not modelled. The SENSEX 10 and BANKEX
#   15 values before it are from memory (UNVERIFIED).
# - BANKNIFTY 30 -> 35 and MIDCPNIFTY 120 -> 140 from the July 2025 expiry (NSE circular of
#   2025-03-28, as reported).
# - From January 2026 expiries: NIFTY 65, BANKNIFTY 30, FINNIFTY 60, MIDCPNIFTY 120 (NSE circular
#   NSE/FAOP/70616 of 2025-10-03).
# Dates before the first row are not covered (ValueError).
LOT_SIZES: dict[str, tuple[tuple[date, int], ...]] = {
    "NIFTY": (
        (date(2024, 1, 1), 50),
        (date(2024, 4, 26), 25),
        (date(2024, 11, 20), 75),
        (date(2026, 1, 1), 65),
    ),
    "BANKNIFTY": (
        (date(2024, 1, 1), 15),
        (date(2024, 11, 20), 30),
        (date(2025, 7, 1), 35),
        (date(2026, 1, 1), 30),
    ),
    "FINNIFTY": (
        (date(2024, 1, 1), 40),
        (date(2024, 7, 1), 25),
        (date(2024, 11, 20), 65),
        (date(2026, 1, 1), 60),
    ),
    "MIDCPNIFTY": (
        (date(2024, 1, 1), 75),
        (date(2024, 7, 1), 50),
        (date(2024, 11, 20), 120),
        (date(2025, 7, 1), 140),
        (date(2026, 1, 1), 120),
    ),
    "SENSEX": (
        (date(2024, 1, 1), 10),
        (date(2024, 11, 20), 20),
    ),
    "BANKEX": (
        (date(2024, 1, 1), 15),
        (date(2024, 11, 20), 30),
    ),
}
