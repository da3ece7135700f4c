"""Index constants for the float64 vectors the numba kernel shares with Python.

Numba treats module-level ints as compile-time constants, so named slots cost
nothing, and a plain float array is a state any caller (backtest loop, paper or
live session) can hold, copy, persist and resume.
"""

from __future__ import annotations

# --- parameters (built by engine.sim.config.build_params) ---
P_FILL_CLOSE = 0  # 1: market orders fill at the signal bar's close; 0: next bar's open
P_ORDER_TYPE = 1  # ORDER_* below
P_ORDER_OFF = 2  # limit/stop distance from the signal close
P_ORDER_OFF_PCT = 3  # 1 when P_ORDER_OFF is a percent
P_ORDER_VALID = 4  # bars a limit/stop entry order stays working
P_SL = 5  # NaN: none
P_SL_PCT = 6
P_TP = 7
P_TP_PCT = 8
P_TR = 9
P_TR_PCT = 10
P_MAX_DAY = 11  # -1: unlimited
P_DAY_LOSS = 12  # NaN: none
P_TRADE_LOSS = 13  # NaN: none
P_COOLDOWN = 14
P_MIN_HOLD = 15
P_STOP_FIRST = 16
P_PYRAMID = 17  # max entries in one direction; 1 = pyramiding off
P_SIZE_MODE = 18  # SIZE_* below
P_SIZE_VALUE = 19
P_LOT = 20
P_MARGIN = 21  # fraction of notional blocked per unit (1.0 = fully funded)
P_SLIP_TICKS = 22
P_TICK = 23
P_SLIP_BPS = 24
P_ALLOW_LONG = 25
P_ALLOW_SHORT = 26
P_SQ = 27  # square-off minute of the day (IST), -1: none
P_INIT_CASH = 28
P_HAS_EXITS = 29  # 1 when any protective level is set (skips idle work)
# Intraday rules (issue 15); docs/backtests.md "Intraday rules"
P_COOLDOWN_NS = 30  # cooldown in time (ns), 0: none; with P_COOLDOWN both apply
P_MIN_HOLD_NS = 31  # minimum hold in time (ns), 0: none
P_CUTOFF = 32  # entry cut-off minute of the day (IST), -1: none
P_LEVEL_SL = 33  # 1: the stop is the graph level captured on the entry's signal bar
P_LEVEL_TP = 34  # 1: the target likewise
P_TR_ACT = 35  # trailing stop activation: favourable move from entry; NaN: always active
P_TR_ACT_PCT = 36
P_BE = 37  # move the stop to cost after this favourable move; NaN: never
P_BE_PCT = 38
P_DAY_LOSS_BAR = 39  # 1: the daily loss limit is also a level checked inside the bar
P_PRIO = 40  # 1: several exits touched on one bar resolve by P_RANK, not price order
P_RANK = 41  # .. P_RANK + NRULES - 1: priority rank of each RULE_* (0 first)
NP = 46

# exit rules, for the priority order (P_RANK)
RULE_DAY_LOSS, RULE_TRADE_LOSS, RULE_STOP, RULE_TARGET, RULE_TRAILING = 0, 1, 2, 3, 4
NRULES = 5
RULE_NAMES = ("daily_loss", "trade_loss", "stop", "target", "trailing")

ORDER_MARKET, ORDER_LIMIT, ORDER_STOP = 0, 1, 2
SIZE_FIXED, SIZE_LOTS, SIZE_PERCENT, SIZE_ALL_IN = 0, 1, 2, 3

# --- state ---
S_CASH = 0
S_QTY = 1  # signed units
S_AVG = 2  # average entry price
S_ENTRY_BAR = 3
S_ENTRY_FEES = 4
S_HWM = 5  # highest high since entry (trailing stop reference, long)
S_LWM = 6  # lowest low since entry (short)
S_NENTRIES = 7
S_PEND_SIDE = 8  # +1/-1 working entry order, 0 none
S_PEND_PRICE = 9
S_PEND_BARS = 10
S_PEND_EXIT = 11  # 1: close the position at the next open
S_PEND_REASON = 12
S_DAY = 13
S_DAY_TRADES = 14
S_DAY_PNL = 15  # realised today
S_DAY_BLOCKED = 16
S_LAST_EXIT_BAR = 17
S_NTRADES = 18
S_NREJ = 19
S_ENTRY_DAY = 20
S_ENTRY_INTRABAR = 21  # 1 when the entry filled inside the bar (limit/stop), not at the open
S_EC = 22  # .. S_EC + NC - 1: entry charge components of the open position
S_RC = 29  # .. S_RC + NREASONS - 1: entries refused or not taken, by reason code - 1
S_ENTRY_TS = 39  # the entry bar's start (ns): minimum hold in time
S_EXIT_TS = 40  # the last exit bar's start (ns): cooldown in time
S_SL_LV = 41  # the graph stop level of the open position (NaN: none)
S_TP_LV = 42  # the graph target level of the open position
S_PEND_SL = 43  # the graph levels of the working entry order, from its signal bar
S_PEND_TP = 44
NS = 45

# --- trade records ---
T_SIDE = 0
T_QTY = 1
T_ENTRY_BAR = 2
T_EXIT_BAR = 3
T_ENTRY_PRICE = 4
T_EXIT_PRICE = 5
T_ENTRY_FEES = 6
T_EXIT_FEES = 7
T_GROSS = 8
T_PNL = 9
T_RET = 10
T_REASON = 11
T_NENTRIES = 12
T_C = 13  # .. T_C + NC - 1: charge components, entry plus exit
NT = 20

EXIT_SIGNAL, EXIT_STOP, EXIT_TARGET, EXIT_TRAILING = 0, 1, 2, 3
EXIT_SQUARE_OFF, EXIT_GUARDRAIL, EXIT_END = 4, 5, 6
EXIT_REASONS = ("signal", "stop", "target", "trailing", "square_off", "guardrail", "end")

# --- rejections ---
R_BAR, R_SIDE, R_QTY, R_PRICE, R_REASON = 0, 1, 2, 3, 4
NR = 5
# Orders sized and refused (also recorded one by one in the rejections buffer) ...
REJ_FUNDS, REJ_ZERO, REJ_MARGIN = 1, 2, 3
# ... and entry signals not acted on (counted only: a level signal can repeat every bar).
REJ_WINDOW, REJ_MAX_DAY, REJ_DAY_LOSS, REJ_COOLDOWN, REJ_EXPIRED, REJ_END = 4, 5, 6, 7, 8, 9
REJ_NO_LEVEL = 10
NREASONS = 10
REJECT_REASONS = {
    REJ_FUNDS: "insufficient_funds",  # cash account (margin 1.0): cost + charges > equity
    REJ_ZERO: "zero_size",  # the sizing rule gave less than one lot
    REJ_MARGIN: "insufficient_margin",  # margin account (margin < 1.0): blocked margin > equity
    REJ_WINDOW: "outside_window",  # square-off window, a day's last bar, or the entry cut-off
    REJ_MAX_DAY: "max_trades_per_day",
    REJ_DAY_LOSS: "daily_loss_limit",  # the day's loss guardrail has blocked entries
    REJ_COOLDOWN: "cooldown",  # within cooldown_bars of an exit (or a same-bar reversal)
    REJ_EXPIRED: "order_expired",  # a limit/stop entry not reached within order_valid_bars
    REJ_END: "end_of_data",  # no bar left to fill the order
    REJ_NO_LEVEL: "no_level",  # the graph stop/target level was NaN on the signal bar
}

# --- end of data (engine.sim.config.SimConfig.end_of_data) ---
END_CLOSE_AT_CLOSE, END_CLOSE_AT_OPEN, END_KEEP_OPEN = 0, 1, 2
