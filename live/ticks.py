"""Ticks recorded as 1-second bars in candle storage, so sub-minute strategies can be backtested
on the days the feed saw.

The feed folds each instrument's ticks into 1-second bars (:class:`engine.live.BarBuilder`,
the same 09:15 IST grid as every bar) and writes the closed ones in batches: one transaction
per flush (every ``flush_seconds`` or ``batch`` bars), through ``candles_upsert``, keyed
(instrument, ``1s``, second). Restarts are idempotent: a second written twice is the same row;
the first second after a (re)start may have been cut by the restart, so it is merged with the
stored row (first open, extreme high and low, last close, volumes added) instead of
replacing it. Dhan sends each instrument's last trade again on subscribe: its volume
difference is zero and its price is the stored close, so the merge leaves the row as it was.

Volume: a quote packet carries the day's cumulative volume; a second's volume is the rise of it
within the second (ticker packets, and indices, have none: 0).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
from django.db import transaction

from engine.live import NS, Bar, BarBuilder
from marketdata import timeframes
from marketdata.frames import BarFrame
from marketdata.ranges import ns_to_datetime
from marketdata.storage import candles_read, candles_upsert

# The timeframe of recorded ticks: an ordinary stored timeframe (marketdata.timeframes.SECONDS),
# which the candles API and backtests resample to 5 s, 15 s, 30 s and up.
TICK_TIMEFRAME = "1s"
assert timeframes.SECONDS[TICK_TIMEFRAME] == 1


class TickRecorder:
    def __init__(
        self,
        *,
        batch: int = 2_000,
        flush_seconds: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.batch, self.flush_seconds, self.clock = batch, flush_seconds, clock
        self._builders: dict[int, BarBuilder] = {}
        self._cum: dict[int, int] = {}
        self._pending: dict[int, list[Bar]] = {}
        self._merge_first: set[int] = set()  # instruments whose first bar since start is unwritten
        self._pending_n = 0
        self._last_flush = clock()
        self.written = 0

    def tick(self, instrument_id: int, ts_ns: int, price: float, volume: int | None = None) -> None:
        builder = self._builders.get(instrument_id)
        if builder is None:
            builder = self._builders[instrument_id] = BarBuilder(1)
            self._merge_first.add(instrument_id)
        closed = builder.tick(ts_ns, price, self._volume(instrument_id, volume))
        if closed:
            self._pending.setdefault(instrument_id, []).extend(closed)
            self._pending_n += len(closed)

    def _volume(self, instrument_id: int, cumulative: int | None) -> float:
        if cumulative is None:
            return 0.0
        last = self._cum.get(instrument_id)
        self._cum[instrument_id] = cumulative
        if last is None:
            return 0.0  # the first quote since start: its volume belongs to earlier seconds
        return float(cumulative - last if cumulative >= last else cumulative)  # a new day restarts

    def close_due(self, now_ns: int) -> None:
        """Close every bar whose second ended before exchange time ``now_ns``."""
        for iid, builder in self._builders.items():
            closed = builder.close_due(now_ns)
            if closed:
                self._pending.setdefault(iid, []).extend(closed)
                self._pending_n += len(closed)

    def flush_due(self) -> int:
        if self._pending_n >= self.batch or self.clock() - self._last_flush >= self.flush_seconds:
            return self.flush()
        return 0

    def flush(self, *, final: bool = False) -> int:
        """Write the closed bars (``final``: the open ones too, e.g. on stop) in one
        transaction; returns bars written."""
        if final:
            self.close_due(2**62)
        self._last_flush = self.clock()
        pending, self._pending, self._pending_n = self._pending, {}, 0
        n = 0
        with transaction.atomic():
            for iid, bars in pending.items():
                if iid in self._merge_first:
                    bars[0] = _merged_with_stored(iid, bars[0])
                    self._merge_first.discard(iid)
                candles_upsert(instrument_id=iid, timeframe=TICK_TIMEFRAME, frame=_frame(bars))
                n += len(bars)
        self.written += n
        return n


def _merged_with_stored(instrument_id: int, bar: Bar) -> Bar:
    start = ns_to_datetime(bar.ts)
    old = candles_read(
        instrument_id=instrument_id,
        timeframe=TICK_TIMEFRAME,
        start=start,
        end=ns_to_datetime(bar.ts + NS),
    )
    if len(old.ts) == 0:
        return bar
    return Bar(
        bar.ts,
        float(old.open[0]),
        max(bar.high, float(old.high[0])),
        min(bar.low, float(old.low[0])),
        bar.close,
        bar.volume + float(old.volume[0]),
    )


def _frame(bars: list[Bar]) -> BarFrame:
    rows = np.array([b.row() for b in bars], dtype=np.float64)
    return BarFrame.build(
        np.array([b.ts for b in bars], dtype=np.int64),
        rows[:, 1],
        rows[:, 2],
        rows[:, 3],
        rows[:, 4],
        rows[:, 5],
    )
