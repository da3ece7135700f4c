"""BarFrame: the columnar batch providers yield and ingestion validates and stores.

Like :class:`engine.bars.Bars` plus open interest (NaN when the instrument has none).
Timestamps are int64 ns UTC labelling the bar start.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from engine.bars import Bars

COLUMNS = ("ts", "open", "high", "low", "close", "volume", "oi")
PRICE_COLUMNS = ("open", "high", "low", "close")


@dataclass(frozen=True, slots=True)
class BarFrame:
    ts: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    oi: np.ndarray
    # Provider rows that could not even be parsed (no usable timestamp or numbers), kept for
    # quarantine: dicts of {"reason", "detail", "raw"}.
    rejects: list[dict] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def build(
        cls,
        ts: np.ndarray,
        open: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray | None = None,
        oi: np.ndarray | None = None,
        rejects: list[dict] | None = None,
    ) -> BarFrame:
        n = len(ts)

        def f64(a: np.ndarray | None, fill: float) -> np.ndarray:
            if a is None:
                return np.full(n, fill, dtype=np.float64)
            return np.ascontiguousarray(a, dtype=np.float64)

        return cls(
            ts=np.ascontiguousarray(ts, dtype=np.int64),
            open=f64(open, np.nan),
            high=f64(high, np.nan),
            low=f64(low, np.nan),
            close=f64(close, np.nan),
            volume=f64(volume, 0.0),
            oi=f64(oi, np.nan),
            rejects=list(rejects or []),
        )

    @classmethod
    def empty(cls) -> BarFrame:
        e = np.empty(0)
        return cls.build(e.astype(np.int64), e, e, e, e)

    @classmethod
    def from_bars(cls, bars: Bars) -> BarFrame:
        return cls.build(bars.ts, bars.open, bars.high, bars.low, bars.close, bars.volume)

    def take(self, index: np.ndarray) -> BarFrame:
        return BarFrame(*(getattr(self, c)[index] for c in COLUMNS), rejects=[])

    def sorted(self) -> BarFrame:
        order = np.argsort(self.ts, kind="stable")
        out = self.take(order)
        return BarFrame(*(getattr(out, c) for c in COLUMNS), rejects=self.rejects)

    def to_bars(self) -> Bars:
        return Bars.from_arrays(self.ts, self.open, self.high, self.low, self.close, self.volume)

    def row(self, i: int) -> dict:
        """One row as JSON-safe values (for quarantine)."""
        out: dict = {"ts": int(self.ts[i])}
        for c in COLUMNS[1:]:
            v = float(getattr(self, c)[i])
            out[c] = v if np.isfinite(v) else str(v)
        return out


def concat(frames: list[BarFrame]) -> BarFrame:
    if not frames:
        return BarFrame.empty()
    cols = [np.concatenate([getattr(f, c) for f in frames]) for c in COLUMNS]
    rejects = [r for f in frames for r in f.rejects]
    return BarFrame(*cols, rejects=rejects)
