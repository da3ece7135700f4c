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
NP = 30

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
NS = 38

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
NREASONS = 9
REJECT_REASONS = {
    REJ_FUNDS: "insufficient_funds",  # cash account (margin 1.0): cost + charges > equity
    REJ_ZERO: "zero_size",  # the sizing rule gave less than one lot
    REJ_MARGIN: "insufficient_margin",  # margin account (margin < 1.0): blocked margin > equity
    REJ_WINDOW: "outside_window",  # in or next to the square-off window, or a day's last bar
    REJ_MAX_DAY: "max_trades_per_day",
    REJ_DAY_LOSS: "daily_loss_limit",  # the day's loss guardrail has blocked entries
    REJ_COOLDOWN: "cooldown",  # within cooldown_bars of an exit (or a same-bar reversal)
    REJ_EXPIRED: "order_expired",  # a limit/stop entry not reached within order_valid_bars
    REJ_END: "end_of_data",  # no bar left to fill the order
}

# --- end of data (engine.sim.config.SimConfig.end_of_data) ---
END_CLOSE_AT_CLOSE, END_CLOSE_AT_OPEN, END_KEEP_OPEN = 0, 1, 2
