"""The state machine: :func:`step` advances one bar; :func:`run_loop` walks an array.

Order of events inside bar ``i`` (``docs/engine.md`` explains each):

1. a new IST day resets the daily counters;
2. at the open: a pending exit fills, then a working entry order (market at the
   open, limit/stop when the bar reaches its price);
3. square-off at the open of the first bar at/after the square-off minute;
4. protective exits from the bar's high/low (gap through a level fills at the open;
   stop first when stop and target are both touched, configurable);
5. the high/low watermarks for the trailing stop move;
6. at the close: signal exits, the daily-loss guardrail, then entries
   (filled now at the close or left working for the next bar).

Paper and live sessions call the same :func:`step`, so there is one semantics.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from engine.fees._kernel import NC, charges
from engine.sim.layout import (
    END_CLOSE_AT_OPEN,
    END_KEEP_OPEN,
    EXIT_END,
    EXIT_GUARDRAIL,
    EXIT_SIGNAL,
    EXIT_SQUARE_OFF,
    EXIT_STOP,
    EXIT_TARGET,
    EXIT_TRAILING,
    NR,
    NRULES,
    NS,
    NT,
    ORDER_LIMIT,
    ORDER_MARKET,
    P_ALLOW_LONG,
    P_ALLOW_SHORT,
    P_BE,
    P_BE_PCT,
    P_COOLDOWN,
    P_COOLDOWN_NS,
    P_CUTOFF,
    P_DAY_LOSS,
    P_DAY_LOSS_BAR,
    P_FILL_CLOSE,
    P_HAS_EXITS,
    P_INIT_CASH,
    P_LEVEL_SL,
    P_LEVEL_TP,
    P_LOT,
    P_MARGIN,
    P_MAX_DAY,
    P_MIN_HOLD,
    P_MIN_HOLD_NS,
    P_ORDER_OFF,
    P_ORDER_OFF_PCT,
    P_ORDER_TYPE,
    P_ORDER_VALID,
    P_PRIO,
    P_PYRAMID,
    P_RANK,
    P_SIZE_MODE,
    P_SIZE_VALUE,
    P_SL,
    P_SL_PCT,
    P_SLIP_BPS,
    P_SLIP_TICKS,
    P_SQ,
    P_STOP_FIRST,
    P_TICK,
    P_TP,
    P_TP_PCT,
    P_TR,
    P_TR_ACT,
    P_TR_ACT_PCT,
    P_TR_PCT,
    P_TRADE_LOSS,
    R_BAR,
    R_PRICE,
    R_QTY,
    R_REASON,
    R_SIDE,
    REJ_COOLDOWN,
    REJ_DAY_LOSS,
    REJ_END,
    REJ_EXPIRED,
    REJ_FUNDS,
    REJ_MARGIN,
    REJ_MAX_DAY,
    REJ_NO_LEVEL,
    REJ_WINDOW,
    REJ_ZERO,
    RULE_DAY_LOSS,
    RULE_STOP,
    RULE_TARGET,
    RULE_TRADE_LOSS,
    RULE_TRAILING,
    S_AVG,
    S_CASH,
    S_DAY,
    S_DAY_BLOCKED,
    S_DAY_PNL,
    S_DAY_TRADES,
    S_EC,
    S_ENTRY_BAR,
    S_ENTRY_DAY,
    S_ENTRY_FEES,
    S_ENTRY_INTRABAR,
    S_ENTRY_TS,
    S_EXIT_TS,
    S_HWM,
    S_LAST_EXIT_BAR,
    S_LWM,
    S_NENTRIES,
    S_NREJ,
    S_NTRADES,
    S_PEND_BARS,
    S_PEND_EXIT,
    S_PEND_PRICE,
    S_PEND_REASON,
    S_PEND_SIDE,
    S_PEND_SL,
    S_PEND_TP,
    S_QTY,
    S_RC,
    S_SL_LV,
    S_TP_LV,
    SIZE_FIXED,
    SIZE_LOTS,
    SIZE_PERCENT,
    T_C,
    T_ENTRY_BAR,
    T_ENTRY_FEES,
    T_ENTRY_PRICE,
    T_EXIT_BAR,
    T_EXIT_FEES,
    T_EXIT_PRICE,
    T_GROSS,
    T_NENTRIES,
    T_PNL,
    T_QTY,
    T_REASON,
    T_RET,
    T_SIDE,
)

# Helpers that never allocate are compiled without NRT: the atomic reference counting of the
# array arguments on every call cost ~70 ns a bar, more than the work itself.
_hot = njit(cache=True, _nrt=False)
_hot_inline = njit(cache=True, _nrt=False, inline="always")


@njit(cache=True)
def new_state(p: np.ndarray) -> np.ndarray:
    st = np.zeros(NS)
    st[S_CASH] = p[P_INIT_CASH]
    st[S_LAST_EXIT_BAR] = -1.0
    st[S_DAY] = -1.0
    st[S_SL_LV] = np.nan
    st[S_TP_LV] = np.nan
    st[S_PEND_SL] = np.nan
    st[S_PEND_TP] = np.nan
    return st


@_hot
def _slip(p: np.ndarray, price: float, is_buy: bool) -> float:
    # Slippage always works against the order: buys pay more, sells receive less.
    s = p[P_SLIP_TICKS] * p[P_TICK] + price * p[P_SLIP_BPS] * 1e-4
    return price + s if is_buy else price - s


@_hot
def _dist(ref: float, value: float, is_pct: float) -> float:
    return ref * value / 100.0 if is_pct > 0 else value


@_hot
def _size(
    st: np.ndarray, p: np.ndarray, row: np.ndarray, price: float, is_buy: bool, scratch: np.ndarray
) -> float:
    mode = int(p[P_SIZE_MODE])
    lot = p[P_LOT]
    if mode == SIZE_FIXED:
        return p[P_SIZE_VALUE]
    if mode == SIZE_LOTS:
        return p[P_SIZE_VALUE] * lot
    unit = price * p[P_MARGIN]
    # Free equity: what is not already blocked by an open position (pyramiding).
    free = st[S_CASH] + st[S_QTY] * price - abs(st[S_QTY]) * unit
    if unit <= 0 or free <= 0:
        return 0.0
    if mode == SIZE_PERCENT:
        return math.floor(free * p[P_SIZE_VALUE] / 100.0 / unit / lot) * lot
    q = math.floor(free / unit / lot) * lot  # all-in: whole lots after commission
    if q <= 0:
        return 0.0
    q = math.floor((free - charges(row, q * price, is_buy, scratch)) / unit / lot) * lot
    while q > 0 and q * unit + charges(row, q * price, is_buy, scratch) > free:
        q -= lot
    return max(q, 0.0)


@_hot
def _reject(
    st: np.ndarray, rejects: np.ndarray, i: int, side: float, qty: float, price: float, reason: int
) -> None:
    k = int(st[S_NREJ])
    rejects[k, R_BAR] = i
    rejects[k, R_SIDE] = side
    rejects[k, R_QTY] = qty
    rejects[k, R_PRICE] = price
    rejects[k, R_REASON] = reason
    st[S_NREJ] = k + 1
    _count(st, reason)


@_hot
def _count(st: np.ndarray, reason: int) -> None:
    """One more entry refused or not taken for ``reason`` (REJ_*; the run's counts)."""
    st[S_RC + reason - 1] += 1.0


@_hot
def _open(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    day: int,
    price: float,
    side: float,
    at_open: bool,
    rejects: np.ndarray,
    scratch: np.ndarray,
) -> bool:
    """Enter or add ``side``; reject (recorded) rather than let equity go negative."""
    is_buy = side > 0
    q = _size(st, p, row, price, is_buy, scratch)
    if q <= 0:
        _reject(st, rejects, i, side, q, price, REJ_ZERO)
        return False
    fee = charges(row, q * price, is_buy, scratch)
    held = abs(st[S_QTY])
    equity = st[S_CASH] + st[S_QTY] * price
    if (held + q) * price * p[P_MARGIN] + fee > equity + 1e-9:
        reason = REJ_MARGIN if p[P_MARGIN] < 1.0 else REJ_FUNDS
        _reject(st, rejects, i, side, q, price, reason)
        return False
    if held == 0:
        st[S_AVG] = price
        st[S_ENTRY_BAR] = i
        st[S_HWM] = price
        st[S_LWM] = price
        st[S_ENTRY_FEES] = 0.0
        st[S_NENTRIES] = 0.0
        st[S_ENTRY_DAY] = day
        st[S_ENTRY_INTRABAR] = 0.0 if at_open else 1.0
        st[S_SL_LV] = st[S_PEND_SL]  # graph levels from the entry's signal bar
        st[S_TP_LV] = st[S_PEND_TP]
        for k in range(NC):
            st[S_EC + k] = 0.0
    else:
        st[S_AVG] = (st[S_AVG] * held + price * q) / (held + q)
    st[S_CASH] -= side * q * price + fee
    st[S_QTY] += side * q
    st[S_ENTRY_FEES] += fee
    for k in range(NC):
        st[S_EC + k] += scratch[k]
    st[S_NENTRIES] += 1.0
    st[S_DAY_TRADES] += 1.0
    return True


@_hot
def _close(
    st: np.ndarray,
    row: np.ndarray,
    i: int,
    price: float,
    reason: int,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> None:
    q = abs(st[S_QTY])
    side = 1.0 if st[S_QTY] > 0 else -1.0
    fee = charges(row, q * price, side < 0, scratch)
    st[S_CASH] += side * q * price - fee
    gross = side * q * (price - st[S_AVG])
    pnl = gross - st[S_ENTRY_FEES] - fee
    k = int(st[S_NTRADES])
    trades[T_SIDE, k] = side
    trades[T_QTY, k] = q
    trades[T_ENTRY_BAR, k] = st[S_ENTRY_BAR]
    trades[T_EXIT_BAR, k] = i
    trades[T_ENTRY_PRICE, k] = st[S_AVG]
    trades[T_EXIT_PRICE, k] = price
    trades[T_ENTRY_FEES, k] = st[S_ENTRY_FEES]
    trades[T_EXIT_FEES, k] = fee
    trades[T_GROSS, k] = gross
    trades[T_PNL, k] = pnl
    trades[T_RET, k] = pnl / (q * st[S_AVG]) if st[S_AVG] != 0 else 0.0
    trades[T_REASON, k] = reason
    trades[T_NENTRIES, k] = st[S_NENTRIES]
    for c in range(NC):
        trades[T_C + c, k] = st[S_EC + c] + scratch[c]
    st[S_NTRADES] = k + 1
    st[S_DAY_PNL] += pnl
    st[S_QTY] = 0.0
    st[S_NENTRIES] = 0.0
    st[S_PEND_EXIT] = 0.0
    st[S_LAST_EXIT_BAR] = i


@_hot
def _moved(st: np.ndarray, side: float, value: float, is_pct: float) -> bool:
    """True once the position's best price (high/low watermark) is ``value`` past entry."""
    avg = st[S_AVG]
    ref = st[S_HWM] if side > 0 else st[S_LWM]
    return side * (ref - avg) >= _dist(avg, value, is_pct)


@_hot
def _rule_level(st: np.ndarray, p: np.ndarray, side: float, rule: int) -> float:
    """The price at which exit ``rule`` (RULE_*) fires for the open position; NaN: inactive."""
    avg = st[S_AVG]
    if rule == RULE_STOP:
        level = st[S_SL_LV] if p[P_LEVEL_SL] > 0 else np.nan
        if not math.isnan(p[P_SL]):
            level = avg - side * _dist(avg, p[P_SL], p[P_SL_PCT])
        moved = not math.isnan(p[P_BE]) and _moved(st, side, p[P_BE], p[P_BE_PCT])
        if moved and (math.isnan(level) or side * (avg - level) > 0):
            level = avg  # moved to cost: the stop never loosens
        return level
    if rule == RULE_TARGET:
        if p[P_LEVEL_TP] > 0:
            return st[S_TP_LV]
        if math.isnan(p[P_TP]):
            return np.nan
        return avg + side * _dist(avg, p[P_TP], p[P_TP_PCT])
    if rule == RULE_TRAILING:
        if math.isnan(p[P_TR]):
            return np.nan
        if not math.isnan(p[P_TR_ACT]) and not _moved(st, side, p[P_TR_ACT], p[P_TR_ACT_PCT]):
            return np.nan  # not activated yet
        ref = st[S_HWM] if side > 0 else st[S_LWM]
        return ref - side * _dist(ref, p[P_TR], p[P_TR_PCT])
    if rule == RULE_TRADE_LOSS:
        if math.isnan(p[P_TRADE_LOSS]):
            return np.nan
        return avg - side * p[P_TRADE_LOSS] / abs(st[S_QTY])
    if p[P_DAY_LOSS_BAR] == 0 or math.isnan(p[P_DAY_LOSS]):
        return np.nan
    # where the day's realised P&L plus this position's (after its entry charges) reaches
    # the loss limit: the same sum the close-time check uses
    room = p[P_DAY_LOSS] + st[S_DAY_PNL] - st[S_ENTRY_FEES]
    return avg - side * room / abs(st[S_QTY])


@_hot
def _reason(rule: int) -> int:
    if rule == RULE_STOP:
        return EXIT_STOP
    if rule == RULE_TARGET:
        return EXIT_TARGET
    if rule == RULE_TRAILING:
        return EXIT_TRAILING
    return EXIT_GUARDRAIL


@_hot
def _stop_level(st: np.ndarray, p: np.ndarray, side: float) -> tuple[float, int]:
    """The tightest protective level (stop, trailing, per-trade max loss, in-bar daily loss)
    and its reason: what a falling (long) price reaches first."""
    level = np.nan
    reason = EXIT_STOP
    for rule in (RULE_STOP, RULE_TRAILING, RULE_TRADE_LOSS, RULE_DAY_LOSS):
        lv = _rule_level(st, p, side, rule)
        if not math.isnan(lv) and (math.isnan(level) or side * (lv - level) > 0):
            level, reason = lv, _reason(rule)
    return level, reason


@_hot
def _target_level(st: np.ndarray, p: np.ndarray, side: float) -> float:
    return _rule_level(st, p, side, RULE_TARGET)


@_hot
def _protect(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    o: float,
    h: float,
    lo: float,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> None:
    if p[P_PRIO] > 0:
        _protect_by_rank(st, p, row, i, o, h, lo, trades, scratch)
        return
    side = 1.0 if st[S_QTY] > 0 else -1.0
    stop, reason = _stop_level(st, p, side)
    tp = _target_level(st, p, side)
    # An entry filled inside this bar saw only part of it: check the stop (conservative), and
    # no gap or target, since the open came before the entry.
    intrabar = st[S_ENTRY_INTRABAR] > 0 and int(st[S_ENTRY_BAR]) == i
    if not intrabar:
        if not math.isnan(stop) and side * (o - stop) <= 0:
            _close_protective(st, p, row, i, _slip(p, o, side < 0), reason, stop, trades, scratch)
            return
        if not math.isnan(tp) and side * (o - tp) >= 0:
            _close(st, row, i, o, EXIT_TARGET, trades, scratch)
            return
    stop_hit = not math.isnan(stop) and (lo <= stop if side > 0 else h >= stop)
    tp_hit = not intrabar and not math.isnan(tp) and (h >= tp if side > 0 else lo <= tp)
    if stop_hit and (not tp_hit or p[P_STOP_FIRST] > 0):
        price = _slip(p, stop, side < 0)
        _close_protective(st, p, row, i, price, reason, stop, trades, scratch)
    elif tp_hit:
        _close(st, row, i, tp, EXIT_TARGET, trades, scratch)  # a target is a limit: no slippage


@_hot
def _close_protective(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    price: float,
    reason: int,
    level: float,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """Close at a stop-type level; when it was the in-bar daily loss, block the day."""
    side = 1.0 if st[S_QTY] > 0 else -1.0
    day_level = _rule_level(st, p, side, RULE_DAY_LOSS)
    _close(st, row, i, price, reason, trades, scratch)
    if not math.isnan(day_level) and side * (level - day_level) <= 0:
        st[S_DAY_BLOCKED] = 1.0


@_hot
def _protect_by_rank(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    o: float,
    h: float,
    lo: float,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> None:
    """Exits by the configured priority: of the rules whose level the open gapped through,
    the first ranked fills at the open; else of those the bar's high/low touched, the first
    ranked fills at its level (stop-type levels with slippage, a target without)."""
    side = 1.0 if st[S_QTY] > 0 else -1.0
    intrabar = st[S_ENTRY_INTRABAR] > 0 and int(st[S_ENTRY_BAR]) == i
    gap_rule, gap_rank, hit_rule, hit_rank, hit_level = -1, NRULES, -1, NRULES, 0.0
    for rule in range(NRULES):
        lv = _rule_level(st, p, side, rule)
        if math.isnan(lv) or (intrabar and rule == RULE_TARGET):
            continue
        rank = int(p[P_RANK + rule])
        away = side if rule == RULE_TARGET else -side  # the direction the level fires in
        if not intrabar and away * (o - lv) >= 0:
            if rank < gap_rank:
                gap_rule, gap_rank = rule, rank
        elif (h >= lv if away > 0 else lo <= lv) and rank < hit_rank:
            hit_rule, hit_rank, hit_level = rule, rank, lv
    if gap_rule >= 0:
        price = o if gap_rule == RULE_TARGET else _slip(p, o, side < 0)
        _close(st, row, i, price, _reason(gap_rule), trades, scratch)
        rule = gap_rule
    elif hit_rule >= 0:
        price = hit_level if hit_rule == RULE_TARGET else _slip(p, hit_level, side < 0)
        _close(st, row, i, price, _reason(hit_rule), trades, scratch)
        rule = hit_rule
    else:
        return
    if rule == RULE_DAY_LOSS:
        st[S_DAY_BLOCKED] = 1.0


@_hot
def _work_entry(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    day: int,
    mod: int,
    o: float,
    h: float,
    lo: float,
    rejects: np.ndarray,
    scratch: np.ndarray,
) -> None:
    side = st[S_PEND_SIDE]
    if (p[P_SQ] >= 0 and mod >= p[P_SQ]) or (p[P_CUTOFF] >= 0 and mod >= p[P_CUTOFF]):
        st[S_PEND_SIDE] = 0.0  # no new positions in the square-off window or after the cut-off
        _count(st, REJ_WINDOW)
        return
    kind = int(p[P_ORDER_TYPE])
    ref = st[S_PEND_PRICE]
    if kind == ORDER_MARKET:
        st[S_PEND_SIDE] = 0.0
        _open(st, p, row, i, day, _slip(p, o, side > 0), side, True, rejects, scratch)
        return
    # A buy limit works below the market; a buy stop above it (sells mirror).
    favourable = side if kind == ORDER_LIMIT else -side
    if favourable * (o - ref) <= 0:
        price = o if kind == ORDER_LIMIT else _slip(p, o, side > 0)
        st[S_PEND_SIDE] = 0.0
        _open(st, p, row, i, day, price, side, True, rejects, scratch)
        return
    touched = lo <= ref if favourable > 0 else h >= ref
    if touched:
        price = ref if kind == ORDER_LIMIT else _slip(p, ref, side > 0)
        st[S_PEND_SIDE] = 0.0
        _open(st, p, row, i, day, price, side, False, rejects, scratch)
        return
    st[S_PEND_BARS] -= 1.0
    if st[S_PEND_BARS] <= 0:
        st[S_PEND_SIDE] = 0.0
        _count(st, REJ_EXPIRED)


@_hot
def _entry_block(st: np.ndarray, p: np.ndarray, i: int, t: int, exiting: bool) -> int:
    """0 when a new entry may be ordered, else the REJ_* rule that forbids it."""
    if st[S_DAY_BLOCKED] > 0:
        return REJ_DAY_LOSS
    if p[P_MAX_DAY] >= 0 and st[S_DAY_TRADES] >= p[P_MAX_DAY]:
        return REJ_MAX_DAY
    cd = p[P_COOLDOWN]
    if cd > 0:
        if exiting:
            return REJ_COOLDOWN
        if st[S_LAST_EXIT_BAR] >= 0 and i - st[S_LAST_EXIT_BAR] <= cd:
            return REJ_COOLDOWN
    cd_ns = p[P_COOLDOWN_NS]
    if cd_ns > 0:
        if exiting:
            return REJ_COOLDOWN
        # the signal bar starts no later than cooldown after the exit bar's start
        if st[S_LAST_EXIT_BAR] >= 0 and t - st[S_EXIT_TS] <= cd_ns:
            return REJ_COOLDOWN
    return 0


@_hot
def _exit_at_close(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    c: float,
    reason: int,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> None:
    if p[P_FILL_CLOSE] > 0:
        _close(st, row, i, _slip(p, c, st[S_QTY] < 0), reason, trades, scratch)
    else:
        st[S_PEND_EXIT] = 1.0
        st[S_PEND_REASON] = reason


@_hot
def _at_close(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    day: int,
    t: int,
    c: float,
    sl_lv: float,
    tp_lv: float,
    el: bool,
    xl: bool,
    es: bool,
    xs: bool,
    entry_block: int,
    trades: np.ndarray,
    rejects: np.ndarray,
    scratch: np.ndarray,
) -> None:
    side = np.sign(st[S_QTY])
    exiting = False
    if side != 0:
        want = (xl or es) if side > 0 else (xs or el)
        held = i - st[S_ENTRY_BAR] >= p[P_MIN_HOLD] and t - st[S_ENTRY_TS] >= p[P_MIN_HOLD_NS]
        if want and held:
            exiting = True
            _exit_at_close(st, p, row, i, c, EXIT_SIGNAL, trades, scratch)
    if not math.isnan(p[P_DAY_LOSS]):
        open_pnl = 0.0
        if st[S_QTY] != 0 and not exiting:
            open_pnl = st[S_QTY] * (c - st[S_AVG]) - st[S_ENTRY_FEES]
        if st[S_DAY_PNL] + open_pnl <= -p[P_DAY_LOSS]:
            st[S_DAY_BLOCKED] = 1.0
            if st[S_QTY] != 0 and not exiting:
                exiting = True
                _exit_at_close(st, p, row, i, c, EXIT_GUARDRAIL, trades, scratch)
    d = 0.0
    if el and not es and p[P_ALLOW_LONG] > 0:
        d = 1.0
    elif es and not el and p[P_ALLOW_SHORT] > 0:
        d = -1.0
    if d == 0:
        return
    cur = 0.0 if exiting else np.sign(st[S_QTY])
    if cur == -d or (cur == d and st[S_NENTRIES] >= p[P_PYRAMID]):
        return  # the position already answers the signal: nothing was refused
    block = entry_block if entry_block > 0 else _entry_block(st, p, i, t, exiting)
    if block == 0 and cur == 0:
        # a new position takes its graph levels from this, its signal bar
        if (p[P_LEVEL_SL] > 0 and math.isnan(sl_lv)) or (p[P_LEVEL_TP] > 0 and math.isnan(tp_lv)):
            block = REJ_NO_LEVEL
        st[S_PEND_SL] = sl_lv
        st[S_PEND_TP] = tp_lv
    if block > 0:
        _count(st, block)
        return
    kind = int(p[P_ORDER_TYPE])
    if kind == ORDER_MARKET and p[P_FILL_CLOSE] > 0:
        _open(st, p, row, i, day, _slip(p, c, d > 0), d, True, rejects, scratch)
        return
    off = _dist(c, p[P_ORDER_OFF], p[P_ORDER_OFF_PCT])
    favourable = d if kind == ORDER_LIMIT else -d
    st[S_PEND_SIDE] = d
    st[S_PEND_PRICE] = c - favourable * off if kind != ORDER_MARKET else c
    st[S_PEND_BARS] = p[P_ORDER_VALID]


@_hot_inline
def step(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    day: int,
    mod: int,
    t: int,
    o: float,
    h: float,
    lo: float,
    c: float,
    sl_lv: float,
    tp_lv: float,
    el: bool,
    xl: bool,
    es: bool,
    xs: bool,
    entry_block: int,
    session_end: bool,
    trades: np.ndarray,
    rejects: np.ndarray,
    scratch: np.ndarray,
) -> float:
    """Advance the state ``st`` by bar ``i``; return equity at its close.

    ``entry_block``: 0 when new entries may be ordered on this bar, else why not (the caller
    knows the clock): ``REJ_WINDOW`` (square-off window) or ``REJ_END`` (no next bar);
    ``session_end``: the last bar of the trading day (an intraday position closes at its
    close when a square-off time is set, e.g. on a short special session).
    ``t`` is the bar's start (ns; time-based cooldown and hold); ``sl_lv``/``tp_lv`` the
    graph's stop/target level on this bar (NaN when unused): an entry ordered on it keeps them.
    ``trades`` is field-major (``trades[T_PNL, k]``); it and ``rejects`` need room for 3
    more records (callers grow them).
    """
    if day != st[S_DAY]:
        st[S_DAY] = day
        st[S_DAY_TRADES] = 0.0
        st[S_DAY_PNL] = 0.0
        st[S_DAY_BLOCKED] = 0.0
    if st[S_PEND_EXIT] > 0 and st[S_QTY] != 0:
        _close(st, row, i, _slip(p, o, st[S_QTY] < 0), int(st[S_PEND_REASON]), trades, scratch)
    st[S_PEND_EXIT] = 0.0
    if st[S_PEND_SIDE] != 0:
        _work_entry(st, p, row, i, day, mod, o, h, lo, rejects, scratch)
        if st[S_QTY] != 0 and st[S_ENTRY_BAR] == i:
            st[S_ENTRY_TS] = t
    sq = p[P_SQ]
    if st[S_QTY] != 0 and sq >= 0 and (mod >= sq or day != st[S_ENTRY_DAY]):
        _close(st, row, i, _slip(p, o, st[S_QTY] < 0), EXIT_SQUARE_OFF, trades, scratch)
    if st[S_QTY] != 0 and p[P_HAS_EXITS] > 0:
        _protect(st, p, row, i, o, h, lo, trades, scratch)
    if st[S_QTY] != 0:
        intrabar = st[S_ENTRY_INTRABAR] > 0 and int(st[S_ENTRY_BAR]) == i
        st[S_HWM] = max(st[S_HWM], c if intrabar else h)
        st[S_LWM] = min(st[S_LWM], c if intrabar else lo)
    # Calls pass arrays by reference-counted value; skipping idle bars keeps the loop fast.
    if st[S_LAST_EXIT_BAR] == i:
        st[S_EXIT_TS] = t
    if el or xl or es or xs or (st[S_QTY] != 0 and not math.isnan(p[P_DAY_LOSS])):
        _at_close(
            st,
            p,
            row,
            i,
            day,
            t,
            c,
            sl_lv,
            tp_lv,
            el,
            xl,
            es,
            xs,
            entry_block,
            trades,
            rejects,
            scratch,
        )
        if st[S_QTY] != 0 and st[S_ENTRY_BAR] == i:
            st[S_ENTRY_TS] = t  # filled at this close
        if st[S_LAST_EXIT_BAR] == i:
            st[S_EXIT_TS] = t
    if session_end and sq >= 0 and st[S_QTY] != 0:
        _close(st, row, i, _slip(p, c, st[S_QTY] < 0), EXIT_SQUARE_OFF, trades, scratch)
        st[S_EXIT_TS] = t
    # Flat: equity is cash, even on a bar whose close is missing (0 * NaN would be NaN).
    return st[S_CASH] + st[S_QTY] * c if st[S_QTY] != 0 else st[S_CASH]


@_hot
def finish(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    c: float,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> float:
    """Close an open position at ``c`` (end of data); drop working orders; return equity."""
    if st[S_QTY] != 0:
        _close(st, row, i, _slip(p, c, st[S_QTY] < 0), EXIT_END, trades, scratch)
    _drop_orders(st)
    return st[S_CASH]


@_hot
def finish_at_open(
    st: np.ndarray,
    p: np.ndarray,
    row: np.ndarray,
    i: int,
    o: float,
    trades: np.ndarray,
    scratch: np.ndarray,
) -> float:
    """End of data on the last bar's open, in place of its :func:`step`: a pending exit fills
    there (its own reason), an open position closes there (``end``), working entry orders are
    dropped and nothing else happens on the bar. Returns equity (cash)."""
    if st[S_PEND_EXIT] > 0 and st[S_QTY] != 0:
        _close(st, row, i, _slip(p, o, st[S_QTY] < 0), int(st[S_PEND_REASON]), trades, scratch)
    return finish(st, p, row, i, o, trades, scratch)


@_hot
def _drop_orders(st: np.ndarray) -> None:
    if st[S_PEND_SIDE] != 0:
        _count(st, REJ_END)  # a working entry order that the data ended on
    st[S_PEND_SIDE] = 0.0
    st[S_PEND_EXIT] = 0.0


@njit(cache=True)
def grow(buf: np.ndarray, used: int) -> np.ndarray:
    """Keep at least 3 free rows (a bar closes at most 2 trades and rejects 2 orders)."""
    if buf.shape[0] - used >= 3:
        return buf
    out = np.empty((buf.shape[0] * 4 + 8, buf.shape[1]))
    out[:used] = buf[:used]
    return out


@njit(cache=True)
def grow_columns(buf: np.ndarray, used: int) -> np.ndarray:
    """``grow`` for the trade buffer, which is field-major: one row per field (fast stats)."""
    if buf.shape[1] - used >= 3:
        return buf
    out = np.empty((buf.shape[0], buf.shape[1] * 4 + 8))
    out[:, :used] = buf[:, :used]
    return out


@_hot
def _walk(
    i0: int,
    st: np.ndarray,
    p: np.ndarray,
    fee_rows: np.ndarray,
    fee_starts: np.ndarray,
    ts: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    days: np.ndarray,
    mods: np.ndarray,
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
    stop: int,
    lots: np.ndarray,
    sl_lv: np.ndarray,
    tp_lv: np.ndarray,
) -> int:
    """Step from bar ``i0`` until ``stop`` or until a record buffer needs to grow."""
    n = len(c)
    has_days = len(days) == n
    has_lots = len(lots) == n
    has_sl = len(sl_lv) == n
    has_tp = len(tp_lv) == n
    sq = p[P_SQ]
    cutoff = p[P_CUTOFF]
    fill_close = p[P_FILL_CLOSE] > 0
    r = 0
    while r + 1 < fee_rows.shape[0] and ts[i0] >= fee_starts[r + 1]:
        r += 1
    # Without a clock or risk rules, a bar with no signal and no working order only marks
    # the position to market: ``_coast`` runs such stretches without the full step.
    coast = not has_days and sq < 0 and p[P_HAS_EXITS] == 0 and math.isnan(p[P_DAY_LOSS])
    i = i0
    while i < stop:
        if (
            coast
            and st[S_PEND_SIDE] == 0
            and st[S_PEND_EXIT] == 0
            and st[S_DAY] == 0
            and not (el[i] or xl[i] or es[i] or xs[i])
        ):
            i = _coast(i, stop, st, h, lo, c, el, xl, es, xs, equity, cash, pos)
            continue
        if trades.shape[1] - st[S_NTRADES] < 3 or rejects.shape[0] - st[S_NREJ] < 3:
            return i
        while r + 1 < fee_rows.shape[0] and ts[i] >= fee_starts[r + 1]:
            r += 1
        if has_lots:
            p[P_LOT] = lots[i]  # sizing uses the lot in force on this bar's date
        day = days[i] if has_days else 0
        mod = mods[i] if has_days else 0
        block = 0 if fill_close or i + 1 < n else REJ_END
        session_end = False
        if sq >= 0 and has_days:
            session_end = i + 1 < n and days[i + 1] != day
            in_window = (
                mod >= sq or session_end or (not fill_close and i + 1 < n and mods[i + 1] >= sq)
            )
            if block == 0 and in_window:
                block = REJ_WINDOW
        if block == 0 and cutoff >= 0 and has_days and mod >= cutoff:
            block = REJ_WINDOW  # no new entries at or after the entry cut-off
        equity[i] = step(
            st,
            p,
            fee_rows[r],
            i,
            day,
            mod,
            ts[i],
            o[i],
            h[i],
            lo[i],
            c[i],
            sl_lv[i] if has_sl else np.nan,
            tp_lv[i] if has_tp else np.nan,
            el[i],
            xl[i],
            es[i],
            xs[i],
            block,
            session_end,
            trades,
            rejects,
            scratch,
        )
        cash[i] = st[S_CASH]
        pos[i] = st[S_QTY]
        i += 1
    return stop


@_hot
def _coast(
    i: int,
    stop: int,
    st: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    el: np.ndarray,
    xl: np.ndarray,
    es: np.ndarray,
    xs: np.ndarray,
    equity: np.ndarray,
    cash: np.ndarray,
    pos: np.ndarray,
) -> int:
    """What :func:`step` does on bars with no signal, no working order, no clock and no risk
    rule, from bar ``i`` to the next signal: the same mark to market and trailing references,
    with the state in locals. Returns the first bar it did not process."""
    qty, money, hwm, lwm = st[S_QTY], st[S_CASH], st[S_HWM], st[S_LWM]
    intrabar = int(st[S_ENTRY_BAR]) if st[S_ENTRY_INTRABAR] > 0 else -1
    while i < stop and not (el[i] or xl[i] or es[i] or xs[i]):
        if qty != 0:
            hwm = max(hwm, c[i] if i == intrabar else h[i])
            lwm = min(lwm, c[i] if i == intrabar else lo[i])
            equity[i] = money + qty * c[i]
        else:
            equity[i] = money
        cash[i] = money
        pos[i] = qty
        i += 1
    st[S_HWM], st[S_LWM] = hwm, lwm
    return i


@njit(cache=True)
def run_loop(
    p: np.ndarray,
    fee_rows: np.ndarray,
    fee_starts: np.ndarray,
    ts: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    lo: np.ndarray,
    c: np.ndarray,
    days: np.ndarray,
    mods: np.ndarray,
    el: np.ndarray,
    xl: np.ndarray,
    es: np.ndarray,
    xs: np.ndarray,
    end_mode: int,
    lots: np.ndarray,
    sl_lv: np.ndarray,
    tp_lv: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Whole-array backtest: ``step`` per bar. ``days``/``mods`` may be empty (unused);
    ``lots`` (per-bar lot sizes) may be empty: the fixed lot in ``p`` is used; ``sl_lv`` and
    ``tp_lv`` (the graph's stop/target level per bar) may be empty when unused.

    ``end_mode`` (``END_*``): close an open position at the last close, at the last bar's
    open (that bar is not otherwise traded), or keep it open, marked to market.
    """
    n = len(c)
    if len(lots) == n:
        p = p.copy()  # the per-bar lot is written into it; callers reuse theirs
    st = new_state(p)
    trades = np.empty((NT, 256))
    rejects = np.empty((16, NR))
    scratch = np.zeros(NC)
    equity = np.empty(n)
    cash = np.empty(n)
    pos = np.empty(n)
    stop = n - 1 if end_mode == END_CLOSE_AT_OPEN and n > 0 else n
    i = 0
    while i < stop:
        trades = grow_columns(trades, int(st[S_NTRADES]))
        rejects = grow(rejects, int(st[S_NREJ]))
        i = _walk(
            i,
            st,
            p,
            fee_rows,
            fee_starts,
            ts,
            o,
            h,
            lo,
            c,
            days,
            mods,
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
            stop,
            lots,
            sl_lv,
            tp_lv,
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
