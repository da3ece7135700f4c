"""Dhan v2 market feed: the binary packets, parsed (and built, for the fake server and the bench).

Pure functions, no sockets. Requests are JSON (subscribe ``RequestCode`` 15 ticker, 17 quote,
21 full; unsubscribe is the code + 1; at most 100 instruments a message); responses are binary,
little-endian, one or more packets per WebSocket frame. Every packet starts with an 8-byte header
``<BHBI``: response code, message length, exchange segment (a number), security id. The layouts
below are the ``dhanhq`` 2.3 SDK's (``marketfeed.py``) and Dhan's v2 docs:

=====  ===========  ======  ===================================================================
code   packet       bytes   after the header
=====  ===========  ======  ===================================================================
2      ticker       16      LTP float32, LTT uint32 (epoch seconds)
4      quote        50      LTP, LTQ uint16, LTT, ATP, volume (day, cumulative), sell qty,
                            buy qty, day open, close, high, low
5      OI           12      open interest uint32
6      prev close   16      previous close float32, previous OI uint32
7      status       8       (market status: nothing after the header)
8      full         162     the quote's fields + OI, OI high, OI low, then 5 depth levels
50     disconnect   10      reason uint16 (805 too many connections, 806 not subscribed,
                            807 token expired, 808 bad client id, 809/810 authentication)
=====  ===========  ======  ===================================================================

A packet's size comes from its code (what the SDK relies on); the header's length is used only
to step over a code we do not know. The SDK parses one packet per frame and drops the rest; we
walk the whole frame. A frame cut short ends the walk: the whole packets before the cut are
returned and the cut bytes counted (:class:`Parsed.truncated`), never raised, so one bad frame
cannot stop the feed.

LTT: Dhan encodes the exchange's IST wall-clock time as if it were UTC epoch seconds (DhanHQ-py
#51), so UTC = LTT − 5 h 30 min; :func:`ltt_to_ns` does that (``DHAN_LTT_IST`` in ``LIVE``
settings turns it off should Dhan change it).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Iterable
from typing import NamedTuple

TICKER, QUOTE, OI, PREV_CLOSE, STATUS, FULL, DISCONNECT = 2, 4, 5, 6, 7, 8, 50
# Subscription modes (request codes); unsubscribe = mode + 1.
MODE_TICKER, MODE_QUOTE, MODE_FULL = 15, 17, 21
MODES = (MODE_TICKER, MODE_QUOTE, MODE_FULL)
MAX_PER_MESSAGE = 100
# Disconnect reasons that mean the credentials are refused: reconnecting cannot help.
AUTH_REASONS = frozenset({807, 808, 809, 810})
DISCONNECT_REASONS = {
    805: "too many connections",
    806: "not subscribed to data APIs",
    807: "access token expired",
    808: "invalid client id",
    809: "authentication failed",
    810: "authentication failed",
}
SEGMENTS = {
    "IDX_I": 0,
    "NSE_EQ": 1,
    "NSE_FNO": 2,
    "NSE_CURRENCY": 3,
    "BSE_EQ": 4,
    "MCX_COMM": 5,
    "BSE_CURRENCY": 7,
    "BSE_FNO": 8,
}
SEGMENT_NAMES = {v: k for k, v in SEGMENTS.items()}
IST_SECONDS = 19_800
NS = 1_000_000_000

_HEADER = struct.Struct("<BHBI")
_TICKER = struct.Struct("<BHBIfI")
_QUOTE = struct.Struct("<BHBIfHIfIIIffff")
_OI = struct.Struct("<BHBII")
_PREV = struct.Struct("<BHBIfI")
_FULL = struct.Struct("<BHBIfHIfIIIIIIffff100s")
_DISCONNECT = struct.Struct("<BHBIH")
SIZES = {
    TICKER: _TICKER.size,
    QUOTE: _QUOTE.size,
    OI: _OI.size,
    PREV_CLOSE: _PREV.size,
    STATUS: _HEADER.size,
    FULL: _FULL.size,
    DISCONNECT: _DISCONNECT.size,
}


class Tick(NamedTuple):
    """A trade price: from a ticker, quote or full packet. ``volume`` is the day's cumulative
    volume (None from a ticker packet, which has none)."""

    segment: int
    security_id: int
    ltp: float
    ltt: int  # Dhan's LTT, epoch seconds of IST wall-clock time: see ltt_to_ns
    volume: int | None = None


class Disconnect(NamedTuple):
    segment: int
    security_id: int
    reason: int

    @property
    def auth(self) -> bool:
        return self.reason in AUTH_REASONS

    @property
    def message(self) -> str:
        return DISCONNECT_REASONS.get(self.reason, f"disconnected by Dhan ({self.reason})")


class Parsed(NamedTuple):
    ticks: list[Tick]
    disconnects: list[Disconnect]
    other: int  # packets parsed and not needed here (OI, previous close, status, unknown codes)
    truncated: int  # bytes at the end of the frame that did not make a whole packet


def parse_frame(data: bytes) -> Parsed:
    """Every packet of one WebSocket frame, in order."""
    ticks: list[Tick] = []
    disconnects: list[Disconnect] = []
    other, offset, end = 0, 0, len(data)
    while offset < end:
        if end - offset < _HEADER.size:
            break
        code = data[offset]
        size = SIZES.get(code)
        if size is None:  # unknown: step over it by the header's length, if that is sane
            size = _HEADER.unpack_from(data, offset)[1]
            if size < _HEADER.size:
                break
        if end - offset < size:
            break
        if code == TICKER:
            _, _, seg, sid, ltp, ltt = _TICKER.unpack_from(data, offset)
            ticks.append(Tick(seg, sid, ltp, ltt))
        elif code in (QUOTE, FULL):
            # a full packet begins with the quote's fields (LTP, LTQ, LTT, ATP, volume)
            row = _QUOTE.unpack_from(data, offset)
            ticks.append(Tick(row[2], row[3], row[4], row[6], row[8]))
        elif code == DISCONNECT:
            _, _, seg, sid, reason = _DISCONNECT.unpack_from(data, offset)
            disconnects.append(Disconnect(seg, sid, reason))
        else:
            other += 1
        offset += size
    return Parsed(ticks, disconnects, other, end - offset)


def ltt_to_ns(ltt: int, *, ist: bool = True) -> int:
    """UTC nanoseconds of a packet's LTT (see the module's note on IST)."""
    return (ltt - IST_SECONDS if ist else ltt) * NS


# --- requests -----------------------------------------------------------------------------------
def feed_url(base: str, *, token: str, client_id: str) -> str:
    """The v2 connect URL. It carries the token: never log it (:func:`redact`)."""
    return f"{base}?version=2&token={token}&clientId={client_id}&authType=2"


def redact(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def subscribe_messages(
    instruments: Iterable[tuple[str, str]], *, mode: int = MODE_QUOTE, subscribe: bool = True
) -> list[str]:
    """JSON messages (at most 100 instruments each) subscribing ``(segment name, security id)``
    pairs in ``mode`` (or unsubscribing them: the mode's code + 1)."""
    if mode not in MODES:
        raise ValueError(f"mode is one of {MODES}, not {mode}")
    pairs = sorted(set(instruments))
    code = mode if subscribe else mode + 1
    out = []
    for i in range(0, len(pairs), MAX_PER_MESSAGE):
        batch = pairs[i : i + MAX_PER_MESSAGE]
        out.append(
            json.dumps(
                {
                    "RequestCode": code,
                    "InstrumentCount": len(batch),
                    "InstrumentList": [
                        {"ExchangeSegment": seg, "SecurityId": str(sid)} for seg, sid in batch
                    ],
                }
            )
        )
    return out


# --- packets built (the fake server, tests and the bench) ---------------------------------------
def pack_ticker(segment: int, security_id: int, ltp: float, ltt: int) -> bytes:
    return _TICKER.pack(TICKER, _TICKER.size, segment, security_id, ltp, ltt)


def pack_quote(
    segment: int, security_id: int, ltp: float, ltt: int, *, volume: int = 0, ltq: int = 0
) -> bytes:
    return _QUOTE.pack(
        QUOTE, _QUOTE.size, segment, security_id, ltp, ltq, ltt, ltp, volume, 0, 0,
        ltp, ltp, ltp, ltp,
    )  # fmt: skip


def pack_full(segment: int, security_id: int, ltp: float, ltt: int, *, volume: int = 0) -> bytes:
    return _FULL.pack(
        FULL, _FULL.size, segment, security_id, ltp, 0, ltt, ltp, volume, 0, 0, 0, 0, 0,
        ltp, ltp, ltp, ltp, b"\0" * 100,
    )  # fmt: skip


def pack_prev_close(segment: int, security_id: int, price: float) -> bytes:
    return _PREV.pack(PREV_CLOSE, _PREV.size, segment, security_id, price, 0)


def pack_disconnect(reason: int) -> bytes:
    return _DISCONNECT.pack(DISCONNECT, _DISCONNECT.size, 0, 0, reason)
