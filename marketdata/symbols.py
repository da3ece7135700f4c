"""Our names for derivative contracts, the same whichever source listed them first.

Dhan's trading symbol (``NIFTY-Sep2026-25000-CE``) names the month, not the day, so two
weekly series of one month share it; NSE's files name no symbol at all. An option row is
therefore named from its key: ``NIFTY-2026-09-24-25000-CE`` (strike without trailing zeros,
``24012.5`` kept). A future keeps Dhan's form, ``NIFTY-Sep2026-FUT`` (index futures are
monthly, so the month is unique).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal


def strike_text(strike: Decimal | float | int | str) -> str:
    d = Decimal(str(strike)).normalize()
    return f"{d:f}"


def option_symbol(underlying: str, expiry: date, strike: Decimal | float | int, right: str) -> str:
    return f"{underlying.upper()}-{expiry.isoformat()}-{strike_text(strike)}-{right.upper()}"


def future_symbol(underlying: str, expiry: date) -> str:
    return f"{underlying.upper()}-{expiry:%b%Y}-FUT"
