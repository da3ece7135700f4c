"""What a person reads for each event: a title and a body in words, not the event's data.

``event_text`` picks the writer of the event's type; every writer reads the event data with
``.get`` (an older producer, or a rule's test event, may lack a key) and leaves out what is
missing rather than printing "None". Numbers go through ``algobacktester.rounding``: money
to the paisa with a rupee sign, percentages to two places with a true minus sign.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from algobacktester.rounding import money
from engine.markets.calendar import IST

from ..constants import EventType

Data = Mapping[str, Any]
Text = tuple[str, str]
MINUS = "\u2212"  # "−": a minus sign reads better than a hyphen in a title


def event_text(*, event_type: str, data: Data) -> Text:
    """(subject, body) for an event; at most 200 and 2,000 characters."""
    writer = WRITERS.get(event_type, _generic)
    subject, body = writer(data)
    return subject[:200], (body or subject)[:2000]


# --- numbers --------------------------------------------------------------------------------


def pct(value: Any) -> str:
    """-1.2736 → "−1.27%"; "+" is left out, as people write it."""
    number = _number(value)
    if number is None:
        return ""
    shown = money(abs(number)) or str(abs(number))
    return f"{MINUS if number < 0 else ''}{shown}%"


def rupees(value: Any) -> str:
    number = _number(value)
    if number is None:
        return ""
    return f"{MINUS if number < 0 else ''}₹{money(abs(number))}"


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _when(value: Any) -> str:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return moment.astimezone(IST).strftime("%d %b %Y %H:%M IST")


def _ref(prefix: str, value: Any) -> str:
    return f"{prefix} #{value}" if value not in (None, "") else prefix


# --- backtests and live sessions ---------------------------------------------------------------


def _backtest_finished(data: Data) -> Text:
    ret = pct(data.get("return_pct"))
    subject = f"{_ref('Backtest', data.get('id'))} finished" + (f": {ret}" if ret else "")
    strategy = data.get("strategy")
    body = f"{strategy}: " if strategy else ""
    body += f"return {ret}." if ret else "finished; open it for the results."
    return subject, body


def _backtest_failed(data: Data) -> Text:
    subject = f"{_ref('Backtest', data.get('id'))} failed"
    strategy = data.get("strategy")
    body = f"{strategy}: " if strategy else ""
    return subject, body + str(data.get("error") or "it stopped with an error.")


def _live_guardrail(data: Data) -> Text:
    session = data.get("name") or _ref("Live session", data.get("session"))
    verb = "halted" if data.get("halted") else "hit a guardrail"
    # a session writes its own sentence ("message"); an older producer only its reason
    reason = data.get("message") or data.get("reason") or ""
    return f"{session} {verb}", str(reason) or f"{session} {verb}."


def _live_entry(data: Data) -> Text:
    return _live_order("entered", data)


def _live_exit(data: Data) -> Text:
    reason = f" ({data['reason']})" if data.get("reason") else ""
    return _live_order(f"exited{reason}", data)


def _live_order(what: str, data: Data) -> Text:
    who = data.get("name") or _ref("Live session", data.get("session"))
    subject = f"{who} {what}"
    return subject, str(data.get("message") or subject)


def _ingestion_failed(data: Data) -> Text:
    what = " ".join(str(data[k]) for k in ("symbol", "timeframe") if data.get(k))
    subject = f"Market-data ingestion failed{': ' + what if what else ''}"
    provider = f" from {data['provider']}" if data.get("provider") else ""
    run = f" (run #{data['run']})" if data.get("run") else ""
    return subject, f"Loading {what or 'data'}{provider} failed{run}: {data.get('error') or '?'}"


# --- orders ---------------------------------------------------------------------------------


def _order_what(data: Data) -> str:
    """ "BUY 2 lots NIFTY-24000-CE" (or "BUY 65 NIFTY…" without lots, "Order #5" bare)."""
    side = str(data.get("side") or "").upper()
    symbol = data.get("symbol") or (
        f"instrument #{data['instrument']}" if data.get("instrument") else ""
    )
    lots, qty = data.get("lots"), data.get("quantity") or data.get("qty")
    size = f"{lots} lot{'s' if lots != 1 else ''}" if lots else (str(qty) if qty else "")
    words = " ".join(str(w) for w in (side, size, symbol) if w)
    return words or _ref("Order", data.get("id"))


def _order_footer(data: Data) -> str:
    """Order #5; client id ab12; account #3 (Paper)."""
    parts = [f"Order #{data['id']}"] if data.get("id") else []
    if data.get("client_id"):
        parts.append(f"client id {data['client_id']}")
    if data.get("account"):
        name = f" ({data['account_name']})" if data.get("account_name") else ""
        parts.append(f"account #{data['account']}{name}")
    return "; ".join(parts) + "." if parts else ""


# A toast shows the subject and the body's first line: the first line adds to the subject.


def _order_filled(data: Data) -> Text:
    price = rupees(data.get("average_price"))
    subject = f"{_order_what(data)} filled" + (f" at {price}" if price else "")
    return subject, _order_footer(data)


def _order_placed(data: Data) -> Text:
    return f"{_order_what(data)} placed", f"Sent to the broker. {_order_footer(data)}".strip()


def _order_rejected(data: Data) -> Text:
    reason = data.get("reason") or "the broker gave no reason"
    return f"{_order_what(data)} rejected", f"{reason}\n{_order_footer(data)}".strip()


def _order_unknown(data: Data) -> Text:
    body = (
        "The broker did not answer clearly: the order is being looked up by its client id "
        "and is never sent again."
    )
    return f"{_order_what(data)}: outcome unknown", f"{body}\n{_order_footer(data)}".strip()


# --- accounts -------------------------------------------------------------------------------


def _account(data: Data) -> str:
    name = data.get("name")
    ref = _ref("account", data.get("account"))
    return f"{ref} ({name})" if name else ref


def _halted(data: Data) -> Text:
    reducing = data.get("state") == "reducing"
    state = "set to exits only" if reducing else "halted"
    subject = f"Trading {state} on {_account(data)}"
    reason = str(data.get("reason") or "no reason given")
    by = f" (set by {data['by']})" if data.get("by") else ""
    return subject, f"{reason}{by}."


def _mismatch(data: Data) -> Text:
    subject = f"Positions differ from the broker's on {_account(data)}"
    problems = [str(p) for p in data.get("problems") or []]
    body = "Automated trading is halted until you look (nothing is corrected by itself).\n"
    return subject, (body + "\n".join(f"- {p}" for p in problems[:12])).strip()


def _token_expiring(data: Data) -> Text:
    when = _when(data["expires_at"]) if data.get("expires_at") else "soon"
    subject = f"Broker token of {_account(data)} expires {when}"
    return subject, "Reconnect the account with a new token before then to keep trading."


def _token_expired(data: Data) -> Text:
    subject = f"The broker refused the token of {_account(data)}"
    message = f" ({data['message']})" if data.get("message") else ""
    return subject, f"New entries are refused until you reconnect it{message}."


def _generic(data: Data) -> Text:
    """An event type without a writer: its message, else its simple fields as words."""
    if data.get("message"):
        return str(data["message"]).splitlines()[0][:120], str(data["message"])
    pairs = [f"{k.replace('_', ' ')} {v}" for k, v in data.items() if isinstance(v, str | int)]
    return "Notification", "; ".join(pairs[:12])


WRITERS: dict[str, Callable[[Data], Text]] = {
    EventType.BACKTEST_FINISHED: _backtest_finished,
    EventType.BACKTEST_FAILED: _backtest_failed,
    EventType.LIVE_ENTRY: _live_entry,
    EventType.LIVE_EXIT: _live_exit,
    EventType.LIVE_GUARDRAIL: _live_guardrail,
    EventType.INGESTION_FAILED: _ingestion_failed,
    EventType.ORDER_PLACED: _order_placed,
    EventType.ORDER_FILLED: _order_filled,
    EventType.ORDER_REJECTED: _order_rejected,
    EventType.ORDER_UNKNOWN: _order_unknown,
    EventType.TRADES_HALTED: _halted,
    EventType.TRADES_MISMATCH: _mismatch,
    EventType.TRADES_TOKEN_EXPIRING: _token_expiring,
    EventType.TRADES_TOKEN_EXPIRED: _token_expired,
}
