"""Bar-by-bar driver over the same :func:`engine.sim.kernel.step` (paper and live).

The state is a plain float vector (``state``), so a session can be persisted and
resumed; the whole-array backtest and this driver give identical trades (tested).
"""

from __future__ import annotations

import numpy as np

from engine.fees._kernel import NC
from engine.markets.calendar import lot_sizes
from engine.signals import RiskSettings
from engine.sim import layout as L
from engine.sim.clock import day_and_minute
from engine.sim.config import SimConfig, build_params
from engine.sim.kernel import finish, grow, grow_columns, new_state, step
from engine.sim.result import Rejections, Trades, rejection_counts


class SimSession:
    """Feed bars one at a time with :meth:`on_bar`; read ``trades`` at any point."""

    def __init__(self, config: SimConfig | None = None, risk: RiskSettings | None = None) -> None:
        self.config = config or SimConfig()
        self.params = build_params(self.config, risk)
        self.fees = self.config.fee_model().table()
        self.state = new_state(self.params)
        self._trades = np.empty((L.NT, 8))
        self._rejects = np.empty((8, L.NR))
        self._scratch = np.zeros(NC)
        self._ts: list[int] = []
        self._last_close = float("nan")

    def on_bar(
        self,
        *,
        ts: int,
        open: float,
        high: float,
        low: float,
        close: float,
        entry_long: bool = False,
        exit_long: bool = False,
        entry_short: bool = False,
        exit_short: bool = False,
        next_ts: int | None = None,
        stop_level: float = float("nan"),
        target_level: float = float("nan"),
    ) -> float:
        """Process one closed bar (signals decided on its close); return equity.

        ``next_ts`` is the next bar's start (from the session clock, so it is known before
        the next bar's prices): with next-open fills and no ``next_ts`` no entry is placed,
        as at the end of a backtest; a ``next_ts`` on another day marks the session's end.
        ``stop_level``/``target_level``: the graph levels on this bar (``stop_at``/``target_at``).
        """
        i = len(self._ts)
        self._ts.append(int(ts))
        self._trades = grow_columns(self._trades, int(self.state[L.S_NTRADES]))
        self._rejects = grow(self._rejects, int(self.state[L.S_NREJ]))
        day, mod = self._clock(ts)
        p = self.params
        if self.config.sizing.dated_lots is not None:  # the lot in force on this bar's date
            p[L.P_LOT] = lot_sizes(self.config.sizing.dated_lots, np.asarray([ts]))[0]
        fill_close = p[L.P_FILL_CLOSE] > 0
        block = 0 if fill_close or next_ts is not None else L.REJ_END
        session_end = False
        if p[L.P_SQ] >= 0:
            in_window = mod >= p[L.P_SQ]
            if next_ts is not None:
                next_day, next_mod = self._clock(next_ts)
                session_end = next_day != day
                in_window = in_window or session_end or (not fill_close and next_mod >= p[L.P_SQ])
            if block == 0 and in_window:
                block = L.REJ_WINDOW
        if block == 0 and p[L.P_CUTOFF] >= 0 and mod >= p[L.P_CUTOFF]:
            block = L.REJ_WINDOW  # the entry cut-off
        self._last_close = close
        return step(
            self.state,
            p,
            self.fees.row_at(ts),
            i,
            day,
            mod,
            int(ts),
            open,
            high,
            low,
            close,
            stop_level,
            target_level,
            entry_long,
            exit_long,
            entry_short,
            exit_short,
            block,
            session_end,
            self._trades,
            self._rejects,
            self._scratch,
        )

    def finish(self) -> float:
        """End of data: close any position at the last close (reason ``end``), as
        ``end_of_data="close_at_close"``; to keep it open, do not call this (``close_at_open``
        needs the last bar's open before its step, which a live session cannot know)."""
        i = len(self._ts) - 1
        row = self.fees.row_at(self._ts[i])
        return finish(
            self.state, self.params, row, i, self._last_close, self._trades, self._scratch
        )

    @property
    def trades(self) -> Trades:
        n = int(self.state[L.S_NTRADES])
        return Trades(self._trades[:, :n].T.copy(), np.asarray(self._ts, dtype=np.int64))

    @property
    def rejections(self) -> Rejections:
        n = int(self.state[L.S_NREJ])
        return Rejections(self._rejects[:n].copy(), np.asarray(self._ts, dtype=np.int64))

    @property
    def rejection_counts(self) -> dict[str, int]:
        return rejection_counts(self.state)

    def _clock(self, ts: int) -> tuple[int, int]:
        days, mods = day_and_minute(np.asarray([ts], dtype=np.int64), self.config.timezone)
        return int(days[0]), int(mods[0])
