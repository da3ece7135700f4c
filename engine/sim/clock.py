"""Wall-clock arrays for the kernel, computed vectorised before the loop."""

from __future__ import annotations

import numpy as np
import pandas as pd

IST = "Asia/Kolkata"
_MIN_NS = 60_000_000_000
IST_OFFSET_MIN = 330  # India has no DST, so a fixed offset is exact and fast


def local_minutes(ts: np.ndarray, tz: str = IST) -> np.ndarray:
    """Minutes since the Unix epoch on the local wall clock (int64)."""
    if tz == IST:
        return ts // _MIN_NS + IST_OFFSET_MIN
    idx = pd.DatetimeIndex(ts.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(tz)
    offset = (idx.tz_localize(None).asi8 - ts) // _MIN_NS
    return ts // _MIN_NS + offset


def day_and_minute(ts: np.ndarray, tz: str = IST) -> tuple[np.ndarray, np.ndarray]:
    """Local day number and minute of the day for each bar."""
    m = local_minutes(ts, tz)
    return m // 1440, m % 1440


def day_ids(ts: np.ndarray, tz: str = IST) -> np.ndarray:
    return local_minutes(ts, tz) // 1440
