"""The Dhan v2 feed's packet parser against hand-built bytes (no sockets, no database)."""

from __future__ import annotations

import json
import struct

import pytest

from live.dhan_packets import (
    MODE_QUOTE,
    MODE_TICKER,
    Disconnect,
    Tick,
    feed_url,
    ltt_to_ns,
    pack_disconnect,
    pack_full,
    pack_prev_close,
    pack_quote,
    pack_ticker,
    parse_frame,
    redact,
    subscribe_messages,
)

LTT = 1_704_101_400  # 2024-01-01 09:30:00 "IST epoch"


def test_a_ticker_packet_by_hand():
    # code 2, length 16, segment 0 (IDX_I), security 13, LTP 21500.5, LTT
    raw = bytes([2, 16, 0, 0, 13, 0, 0, 0]) + struct.pack("<f", 21500.5) + struct.pack("<I", LTT)
    assert raw == pack_ticker(0, 13, 21500.5, LTT)
    parsed = parse_frame(raw)
    assert parsed.ticks == [Tick(0, 13, 21500.5, LTT, None)]
    assert parsed.truncated == 0 and parsed.disconnects == []


def test_several_packets_of_every_kind_in_one_frame():
    frame = (
        pack_prev_close(0, 13, 21000.0)
        + pack_ticker(0, 13, 21500.5, LTT)
        + pack_quote(2, 35001, 101.25, LTT + 1, volume=1500, ltq=75)
        + pack_full(1, 2885, 2500.0, LTT + 2, volume=99)
        + bytes([7, 8, 0, 0, 0, 0, 0, 0])  # market status: header only
        + pack_ticker(0, 13, 21501.0, LTT + 3)
    )
    parsed = parse_frame(frame)
    assert parsed.ticks == [
        Tick(0, 13, 21500.5, LTT),
        Tick(2, 35001, 101.25, LTT + 1, 1500),
        Tick(1, 2885, 2500.0, LTT + 2, 99),
        Tick(0, 13, 21501.0, LTT + 3),
    ]
    assert parsed.other == 2 and parsed.truncated == 0


def test_a_truncated_frame_keeps_the_whole_packets_and_counts_the_cut():
    whole = pack_ticker(0, 13, 21500.5, LTT) + pack_quote(0, 13, 21501.0, LTT, volume=7)
    cut = pack_ticker(0, 13, 1.0, LTT)[:11]
    parsed = parse_frame(whole + cut)
    assert [t.ltp for t in parsed.ticks] == [21500.5, 21501.0]
    assert parsed.truncated == 11
    assert parse_frame(b"\x02\x10").truncated == 2  # not even a header
    assert parse_frame(b"").ticks == []


def test_an_unknown_code_is_stepped_over_by_its_length_a_bad_length_stops():
    unknown = bytes([99, 12, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4])
    parsed = parse_frame(unknown + pack_ticker(0, 13, 5.0, LTT))
    assert parsed.ticks == [Tick(0, 13, 5.0, LTT)] and parsed.other == 1
    broken = bytes([99, 3, 0, 0, 0, 0, 0, 0])  # a length shorter than a header
    parsed = parse_frame(broken + pack_ticker(0, 13, 5.0, LTT))
    assert parsed.ticks == [] and parsed.truncated == 8 + 16


def test_a_disconnect_packet_names_its_reason():
    parsed = parse_frame(pack_ticker(0, 13, 5.0, LTT) + pack_disconnect(807))
    assert parsed.ticks and parsed.disconnects == [Disconnect(0, 0, 807)]
    d = parsed.disconnects[0]
    assert d.auth and "expired" in d.message
    assert not parse_frame(pack_disconnect(805)).disconnects[0].auth


def test_ltt_is_ist_wall_clock_time():
    # 09:30 IST on 2024-01-01 is 04:00 UTC
    assert ltt_to_ns(LTT) == (LTT - 19_800) * 1_000_000_000
    assert ltt_to_ns(LTT, ist=False) == LTT * 1_000_000_000


def test_subscribe_messages_batch_100_and_unsubscribe_is_code_plus_one():
    pairs = [("NSE_FNO", str(i)) for i in range(250)] + [("NSE_FNO", "0")]  # a duplicate
    msgs = [json.loads(m) for m in subscribe_messages(pairs, mode=MODE_QUOTE)]
    assert [m["InstrumentCount"] for m in msgs] == [100, 100, 50]
    assert {m["RequestCode"] for m in msgs} == {17}
    assert msgs[0]["InstrumentList"][0] == {"ExchangeSegment": "NSE_FNO", "SecurityId": "0"}
    off = json.loads(subscribe_messages([("IDX_I", "13")], mode=MODE_TICKER, subscribe=False)[0])
    assert off["RequestCode"] == 16
    with pytest.raises(ValueError):
        subscribe_messages(pairs, mode=19)


def test_the_url_carries_the_token_and_redact_hides_it():
    url = feed_url("wss://api-feed.dhan.co", token="SECRET", client_id="100")
    assert url == "wss://api-feed.dhan.co?version=2&token=SECRET&clientId=100&authType=2"
    assert "SECRET" not in redact(f"failed to connect to {url}", "SECRET")
