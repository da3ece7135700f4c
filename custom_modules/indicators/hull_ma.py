"""Hull moving average: WMA(2 × WMA(n/2) − WMA(n), √n), a fast, smooth trend line.

An operator plugin shipped as the worked example of ``BaseIndicator``. It streams in
O(1) per bar by chaining TA-Lib stream handles, so live and backtest values agree.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import talib

from engine.indicators import BaseIndicator, IndicatorState, Param, get_registry


def _periods(n: int) -> tuple[int, int, int]:
    return max(n // 2, 1), n, max(round(math.sqrt(n)), 1)


class HullMA(BaseIndicator):
    name = "HMA"
    group = "Overlap Studies"
    display_name = "Hull Moving Average"
    inputs = ("close",)
    params = (Param(name="timeperiod", type="int", default=20, min=2, max=100_000, help="Period"),)
    outputs = ("out",)

    def compute(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, int | float]
    ) -> np.ndarray:
        half, full, root = _periods(int(params["timeperiod"]))
        x = np.asarray(inputs["close"], dtype=np.float64)
        raw = 2.0 * talib.WMA(x, half) - talib.WMA(x, full)
        return talib.WMA(raw, root)

    def stream(self, params: Mapping[str, int | float]) -> IndicatorState:
        return _HullState(*_periods(int(params["timeperiod"])))


class _HullState:
    def __init__(self, half: int, full: int, root: int) -> None:
        wma = get_registry(None)["WMA"]
        self._half = wma.stream({"timeperiod": half})
        self._full = wma.stream({"timeperiod": full})
        self._root = wma.stream({"timeperiod": root})

    def update(self, x: float) -> tuple[float]:
        raw = 2.0 * self._half.update(x)[0] - self._full.update(x)[0]
        return self._root.update(raw)
