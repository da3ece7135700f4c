"""Plain results of a simulation: trades, rejections, equity; JSON-ready via ``to_dict``."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from engine.fees._kernel import COMPONENTS, NC
from engine.sim import layout as L

IST = "Asia/Kolkata"


@dataclass(frozen=True, slots=True)
class Trades:
    """Closed round trips, one row each (a struct of arrays; ``to_frame`` for a table).

    ``pnl`` is net of all charges; ``ret`` is ``pnl / (entry_price x qty)``.
    With pyramiding, ``entry_price`` is the average and ``entries`` counts the adds.
    """

    records: np.ndarray  # (n, NT) float64, columns engine.sim.layout.T_*
    ts: np.ndarray  # the bars' int64 ns UTC timestamps, to map bar indices to times

    def __len__(self) -> int:
        return len(self.records)

    def col(self, at: int) -> np.ndarray:
        return self.records[:, at]

    @property
    def side(self) -> np.ndarray:
        return self.records[:, L.T_SIDE].astype(np.int8)

    @property
    def qty(self) -> np.ndarray:
        return self.records[:, L.T_QTY]

    @property
    def entry_bar(self) -> np.ndarray:
        return self.records[:, L.T_ENTRY_BAR].astype(np.int64)

    @property
    def exit_bar(self) -> np.ndarray:
        return self.records[:, L.T_EXIT_BAR].astype(np.int64)

    @property
    def entry_time(self) -> np.ndarray:
        return self.ts[self.entry_bar]

    @property
    def exit_time(self) -> np.ndarray:
        return self.ts[self.exit_bar]

    @property
    def entry_price(self) -> np.ndarray:
        return self.records[:, L.T_ENTRY_PRICE]

    @property
    def exit_price(self) -> np.ndarray:
        return self.records[:, L.T_EXIT_PRICE]

    @property
    def pnl(self) -> np.ndarray:
        return self.records[:, L.T_PNL]

    @property
    def ret(self) -> np.ndarray:
        return self.records[:, L.T_RET]

    @property
    def charges(self) -> np.ndarray:
        return self.records[:, L.T_ENTRY_FEES] + self.records[:, L.T_EXIT_FEES]

    @property
    def exit_reason(self) -> list[str]:
        return [L.EXIT_REASONS[int(r)] for r in self.records[:, L.T_REASON]]

    def charge_breakdown(self) -> dict[str, np.ndarray]:
        return {name: self.records[:, L.T_C + k] for k, name in enumerate(COMPONENTS)}

    def to_frame(self, tz: str = IST) -> pd.DataFrame:
        r = self.records
        frame = pd.DataFrame(
            {
                "side": np.where(r[:, L.T_SIDE] > 0, "long", "short"),
                "qty": r[:, L.T_QTY],
                "entry_bar": self.entry_bar,
                "exit_bar": self.exit_bar,
                "entry_time": _times(self.entry_time, tz),
                "exit_time": _times(self.exit_time, tz),
                "entry_price": r[:, L.T_ENTRY_PRICE],
                "exit_price": r[:, L.T_EXIT_PRICE],
                "gross_pnl": r[:, L.T_GROSS],
                "charges": self.charges,
                "pnl": r[:, L.T_PNL],
                "return_pct": r[:, L.T_RET] * 100.0,
                "exit_reason": self.exit_reason,
                "entries": r[:, L.T_NENTRIES].astype(np.int64),
            }
        )
        for name, values in self.charge_breakdown().items():
            frame[f"charges_{name}"] = values
        return frame

    def to_records(self, tz: str = IST) -> list[dict[str, Any]]:
        frame = self.to_frame(tz)
        for col in ("entry_time", "exit_time"):
            frame[col] = [t.isoformat() for t in frame[col]]
        rows = frame.to_dict(orient="records")
        return [{k: clean(v) for k, v in row.items()} for row in rows]


@dataclass(frozen=True, slots=True)
class Rejections:
    """Orders refused (insufficient funds/margin, zero size) instead of going negative."""

    records: np.ndarray  # (n, NR) float64, columns engine.sim.layout.R_*
    ts: np.ndarray

    def __len__(self) -> int:
        return len(self.records)

    def to_records(self, tz: str = IST) -> list[dict[str, Any]]:
        out = []
        for row in self.records:
            bar = int(row[L.R_BAR])
            out.append(
                {
                    "bar": bar,
                    "time": _times(self.ts[bar : bar + 1], tz)[0].isoformat(),
                    "side": "long" if row[L.R_SIDE] > 0 else "short",
                    "qty": clean(row[L.R_QTY]),
                    "price": clean(row[L.R_PRICE]),
                    "reason": L.REJECT_REASONS[int(row[L.R_REASON])],
                }
            )
        return out


def rejection_counts(state: np.ndarray) -> dict[str, int]:
    """Entries refused or not taken, by reason (every reason, zeros included), from a state."""
    return {name: int(state[L.S_RC + code - 1]) for code, name in L.REJECT_REASONS.items()}


@dataclass(frozen=True, slots=True)
class OpenPosition:
    """A position still open after the last bar (``end_of_data="keep_open"``), marked at the
    last close. ``unrealised_pnl`` is net of the entry charges; exit charges are not paid."""

    side: str  # "long" or "short"
    qty: float
    entry_bar: int
    entry_time: int  # ns UTC
    entry_price: float  # average with pyramiding
    entries: int
    entry_charges: float
    mark_price: float
    unrealised_pnl: float

    @classmethod
    def from_state(cls, state: np.ndarray, ts: np.ndarray, mark: float) -> OpenPosition | None:
        qty = float(state[L.S_QTY])
        if qty == 0:
            return None
        bar = int(state[L.S_ENTRY_BAR])
        avg, fees = float(state[L.S_AVG]), float(state[L.S_ENTRY_FEES])
        return cls(
            side="long" if qty > 0 else "short",
            qty=abs(qty),
            entry_bar=bar,
            entry_time=int(ts[bar]),
            entry_price=avg,
            entries=int(state[L.S_NENTRIES]),
            entry_charges=fees,
            mark_price=mark,
            unrealised_pnl=qty * (mark - avg) - fees,
        )

    def to_dict(self, tz: str = IST) -> dict[str, Any]:
        time = _times(np.asarray([self.entry_time], dtype=np.int64), tz)[0].isoformat()
        return {
            "side": self.side,
            "qty": clean(self.qty),
            "entry_bar": self.entry_bar,
            "entry_time": time,
            "entry_price": clean(self.entry_price),
            "entries": self.entries,
            "entry_charges": clean(self.entry_charges),
            "mark_price": clean(self.mark_price),
            "unrealised_pnl": clean(self.unrealised_pnl),
        }


@dataclass(frozen=True, slots=True)
class SimResult:
    trades: Trades
    rejections: Rejections
    equity: np.ndarray  # at each bar's close
    cash: np.ndarray
    position: np.ndarray  # signed units held at each bar's close
    state: np.ndarray  # final kernel state (engine.sim.layout.S_*)
    open_position: OpenPosition | None = None  # only with end_of_data="keep_open"

    @property
    def rejection_counts(self) -> dict[str, int]:
        """Orders refused and entry signals not acted on, by reason (see docs/engine.md)."""
        return rejection_counts(self.state)

    @property
    def drawdown(self) -> np.ndarray:
        """Fraction below the running peak (0 at a new high, 0.1 = 10% down)."""
        return 1.0 - self.equity / np.maximum.accumulate(self.equity)


def clean(value: Any) -> Any:
    """A JSON-safe scalar: numpy to Python, NaN/inf to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _times(ts: np.ndarray, tz: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(ts.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)


__all__ = ["NC", "OpenPosition", "Rejections", "SimResult", "Trades", "clean", "rejection_counts"]
