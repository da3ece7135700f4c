"""The kernel's fast path: market orders on signals only, no risk rule, no clock.

Most backtests and nearly every sweep combination are a signal reversal (enter on one
cross, leave on the other) with no stop, target, guardrail, square-off or working order.
For those, :func:`engine.sim.kernel.step` spends most of its time asking about rules that
are off. :func:`run_fast` walks the same bars with only what such a run can do: fill a
pending exit and a pending market entry at the open, act on the close's signals, mark to
market. Fills, sizing, fees and records go through the kernel's own helpers (``_open``,
``_close``, ``_slip``), so trades, rejections and curves are identical to ``run_loop``'s
(``engine/tests/test_sim_fast.py`` checks that over random signals and configurations).

:func:`fast_path_applies` decides. It names the configuration fields the fast loop handles
and the values they must have; a field it does not know (a rule added to ``SimConfig`` or
``RiskSettings`` later) sends the run to the general kernel, so a new rule can never be
silently skipped here.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from numba import njit

from engine.fees._kernel import NC
from engine.signals import RiskSettings
from engine.sim.config import SimConfig
from engine.sim.kernel import (
    _close,
    _count,
    _open,
    _slip,
    finish,
    finish_at_open,
    grow,
    grow_columns,
    new_state,
)
from engine.sim.layout import (
    END_CLOSE_AT_OPEN,
    END_KEEP_OPEN,
    EXIT_SIGNAL,
    NR,
    NT,
    P_ALLOW_LONG,
    P_ALLOW_SHORT,
    P_FILL_CLOSE,
    P_ORDER_VALID,
    REJ_END,
    S_CASH,
    S_DAY,
    S_NREJ,
    S_NTRADES,
    S_PEND_BARS,
    S_PEND_EXIT,
    S_PEND_PRICE,
    S_PEND_REASON,
    S_PEND_SIDE,
    S_QTY,
)

# The SimConfig fields the fast loop handles with any valid value: it reads them from the
# parameter vector exactly as the kernel does.
_CONFIG_ANY = frozenset(
    {
        "initial_cash",
        "fill",
        "sizing",  # every mode; the fixed lot only (checked below: no dated lots)
        "fees",
        "slippage",
        "margin",
        "stop_first",  # only matters when a stop and a target share a bar: none here
        "end_of_data",
        "allow_long",
        "allow_short",
        "timezone",  # only read by rules on the wall clock, none of which is set
    }
)
# Fields it handles only at their defaults (market entries, one entry a direction, no legs).
_CONFIG_DEFAULT = frozenset(
    {"entry_order", "entry_offset", "order_valid_bars", "pyramiding", "options"}
)
# Every risk rule it knows is off at its default; it handles none of them.
_RISK_DEFAULT = frozenset(
    {
        "stop_loss",
        "target",
        "trailing_stop",
        "max_trades_per_day",
        "daily_max_loss",
        "per_trade_max_loss",
        "square_off",
        "cooldown_bars",
        "min_hold_bars",
        "cooldown_seconds",
        "min_hold_seconds",
        "entry_cutoff",
        "stop_at",
        "target_at",
        "trailing_activation",
        "move_stop_to_cost",
        "daily_loss_check",
        "exit_priority",
        "group_stop_loss",
        "group_target",
    }
)


def fast_path_applies(config: SimConfig, risk: RiskSettings | None) -> bool:
    """True when :func:`run_fast` gives the same run as the general kernel.

    Conservative: a field this module does not name (a rule added to ``SimConfig`` or
    ``RiskSettings`` later) sends the run to the kernel even at its default, until someone
    adds it above; named fields must be at their defaults unless listed in ``_CONFIG_ANY``.
    ``entry_offset`` and ``order_valid_bars`` do not matter for market orders, but only
    their defaults are accepted, so a run that sets them meets the kernel that reads them."""
    if not _at_defaults(config, _CONFIG_DEFAULT, _CONFIG_ANY):
        return False
    if config.sizing.dated_lots is not None:
        return False  # per-bar lots: the kernel writes each bar's lot into the parameters
    return risk is None or _at_defaults(risk, _RISK_DEFAULT, frozenset())


def _at_defaults(obj: object, defaults: frozenset[str], free: frozenset[str]) -> bool:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        if f.name in free:
            continue
        if f.name not in defaults or getattr(obj, f.name) != _default(f):
            return False
    return True


def _default(f: dataclasses.Field) -> object:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING  # a required field: never equal to a value


_hot = njit(cache=True, _nrt=False)
# Inlined into the loop: a call passing a dozen arrays costs more than a bar's work.
_inline = njit(cache=True, _nrt=False, inline="always")


@_inline
def _idle(
    i: int,
    stop: int,
    qty: float,
    money: float,
    c: np.ndarray,
    el: np.ndarray,
    xl: np.ndarray,
    es: np.ndarray,
    xs: np.ndarray,
    equity: np.ndarray,
    cash: np.ndarray,
    pos: np.ndarray,
) -> int:
    """Mark to market from bar ``i`` to the next signal; return the first bar not done."""
    if qty == 0:
        while i < stop and not (el[i] or xl[i] or es[i] or xs[i]):
            equity[i] = money
            cash[i] = money
            pos[i] = 0.0
            i += 1
        return i
    while i < stop and not (el[i] or xl[i] or es[i] or xs[i]):
        equity[i] = money + qty * c[i]
        cash[i] = money
        pos[i] = qty
        i += 1
    return i


@_inline
def _on_signal(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    c: float,
    el: bool,
    xl: bool,
    es: bool,
    xs: bool,
    last: bool,
    trades: np.ndarray,
    rejects: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """``kernel._at_close`` with no minimum hold, guardrail, cooldown or daily limit."""
    fill_close = p[P_FILL_CLOSE] > 0
    qty = st[S_QTY]
    exiting = False
    if qty != 0 and ((xl or es) if qty > 0 else (xs or el)):
        exiting = True
        if fill_close:
            _close(st, row, i, _slip(p, c, qty < 0), EXIT_SIGNAL, trades, scratch)
        else:
            st[S_PEND_EXIT] = 1.0
            st[S_PEND_REASON] = EXIT_SIGNAL
    d = 0.0
    if el and not es and p[P_ALLOW_LONG] > 0:
        d = 1.0
    elif es and not el and p[P_ALLOW_SHORT] > 0:
        d = -1.0
    if d == 0 or (not exiting and qty != 0):
        return  # no entry signal, or the position already answers it (one entry a side)
    if fill_close:
        _open(st, p, row, i, 0, _slip(p, c, d > 0), d, True, rejects, scratch)
    elif last:
        _count(st, REJ_END)  # no next bar to fill at
    else:
        st[S_PEND_SIDE] = d
        st[S_PEND_PRICE] = c
        st[S_PEND_BARS] = p[P_ORDER_VALID]


@_hot
def _fast_walk(
    i0: int,
    stop: int,
    st: np.ndarray,
    p: np.ndarray,
    fee_rows: np.ndarray,
    fee_starts: np.ndarray,
    ts: np.ndarray,
    o: np.ndarray,
    c: np.ndarray,
    el: np.ndarray,
    xl: np.ndarray,
    es: np.ndarray,
    xs: np.ndarray,
    trades: np.ndarray,
    rejects: np.ndarray,
    scratch: np.ndarray,
    equity: np.ndarray,
    cash: np.ndarray,
    pos: np.ndarray,
) -> int:
    """Bars ``i0`` to ``stop``, or until a record buffer needs to grow (returns that bar)."""
    n = len(c)
    r = 0
    i = i0
    while i < stop:
        if st[S_PEND_SIDE] == 0 and st[S_PEND_EXIT] == 0:
            i = _idle(i, stop, st[S_QTY], st[S_CASH], c, el, xl, es, xs, equity, cash, pos)
            if i >= stop:
                break
        if trades.shape[1] - st[S_NTRADES] < 3 or rejects.shape[0] - st[S_NREJ] < 3:
            return i
        while r + 1 < fee_rows.shape[0] and ts[i] >= fee_starts[r + 1]:
            r += 1
        row = fee_rows[r]
        if st[S_PEND_EXIT] > 0 and st[S_QTY] != 0:
            exit_price = _slip(p, o[i], st[S_QTY] < 0)
            _close(st, row, i, exit_price, int(st[S_PEND_REASON]), trades, scratch)
        st[S_PEND_EXIT] = 0.0
        side = st[S_PEND_SIDE]
        if side != 0:
            st[S_PEND_SIDE] = 0.0
            _open(st, p, row, i, 0, _slip(p, o[i], side > 0), side, True, rejects, scratch)
        if el[i] or xl[i] or es[i] or xs[i]:
            last = i + 1 >= n
            _on_signal(
                st, p, row, i, c[i], el[i], xl[i], es[i], xs[i], last, trades, rejects, scratch
            )
        qty = st[S_QTY]
        equity[i] = st[S_CASH] + qty * c[i] if qty != 0 else st[S_CASH]
        cash[i] = st[S_CASH]
        pos[i] = qty
        i += 1
    return stop


@njit(cache=True)
def run_fast(
    p: np.ndarray,
    fee_rows: np.ndarray,
    fee_starts: np.ndarray,
    ts: np.ndarray,
    o: np.ndarray,
    c: np.ndarray,
    el: np.ndarray,
    xl: np.ndarray,
    es: np.ndarray,
    xs: np.ndarray,
    end_mode: int,
) -> tuple[np.ndarray, ...]:
    """``kernel.run_loop`` for a run :func:`fast_path_applies` to; the same outputs.

    The state's trailing-stop watermarks (``S_HWM``/``S_LWM``) are not kept: no rule of
    such a run reads them."""
    n = len(c)
    st = new_state(p)
    trades = np.empty((NT, 256))
    rejects = np.empty((16, NR))
    scratch = np.zeros(NC)
    equity = np.empty(n)
    cash = np.empty(n)
    pos = np.empty(n)
    stop = n - 1 if end_mode == END_CLOSE_AT_OPEN and n > 0 else n
    if stop > 0:
        st[S_DAY] = 0.0  # as the kernel's first step: one day, as no rule reads the clock
    i = 0
    while i < stop:
        trades = grow_columns(trades, int(st[S_NTRADES]))
        rejects = grow(rejects, int(st[S_NREJ]))
        i = _fast_walk(
            i,
            stop,
            st,
            p,
            fee_rows,
            fee_starts,
            ts,
            o,
            c,
            el,
            xl,
            es,
            xs,
            trades,
            rejects,
            scratch,
            equity,
            cash,
            pos,
        )
    if end_mode != END_KEEP_OPEN and n > 0:
        trades = grow_columns(trades, int(st[S_NTRADES]))
        r = 0
        while r + 1 < fee_rows.shape[0] and ts[n - 1] >= fee_starts[r + 1]:
            r += 1
        if end_mode == END_CLOSE_AT_OPEN:
            equity[n - 1] = finish_at_open(st, p, fee_rows[r], n - 1, o[n - 1], trades, scratch)
        else:
            equity[n - 1] = finish(st, p, fee_rows[r], n - 1, c[n - 1], trades, scratch)
        cash[n - 1] = st[S_CASH]
        pos[n - 1] = 0.0
    nt = int(st[S_NTRADES])
    nr = int(st[S_NREJ])
    return st, trades[:, :nt].copy(), rejects[:nr].copy(), equity, cash, pos
