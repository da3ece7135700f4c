"""Every TA-Lib function as a :class:`BaseIndicator`, metadata from ``abstract.Function.info``.

TA-Lib's Python binding does not expose parameter ranges, so they are found once by
probing the C library with a tiny series (cached): the catalogue then states exactly
what the library accepts instead of a hand-kept table that drifts between versions.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import cache
from typing import Any

import numpy as np
import talib
from talib import abstract
from talib import stream as talib_stream

from engine.indicators.base import BaseIndicator, IndicatorState, Input, Param, ParamValue

_INT_MAX_CANDIDATES = (100, 1_000, 100_000, 2**31 - 1)
_FLOAT_MIN_CANDIDATES = (-3.0e37, -1.0, 0.0, 0.01)
_FLOAT_MAX_CANDIDATES = (3.0e37, 1.0, 0.99)


class TalibIndicator(BaseIndicator):
    """A TA-Lib function; the instance carries the per-function metadata."""

    origin = "talib"

    def __init__(self, name: str) -> None:
        info = abstract.Function(name).info
        self._fn = getattr(talib, name)
        self.name = name  # type: ignore[misc]  # per-instance metadata on purpose
        self.group = info["group"]  # type: ignore[misc]
        self.display_name = info["display_name"]  # type: ignore[misc]
        self.inputs = _inputs(info["input_names"])  # type: ignore[misc]
        self._talib_outputs: tuple[str, ...] = tuple(info["output_names"])
        self.outputs = _port_names(name, self._talib_outputs)  # type: ignore[misc]
        self.params = _params(name, info)  # type: ignore[misc]
        self.unstable = "Function has an unstable period" in info["function_flags"]

    def compute(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, ParamValue]
    ) -> dict[str, np.ndarray]:
        args = [np.asarray(inputs[i.name], dtype=np.float64) for i in self.input_ports()]
        res = self._fn(*args, **params)
        res = res if isinstance(res, tuple | list) else (res,)
        return {o: np.asarray(r, dtype=np.float64) for o, r in zip(self.outputs, res, strict=True)}

    def lookback(self, params: Mapping[str, ParamValue]) -> int:
        f = abstract.Function(self.name)
        f.parameters = dict(params)
        return int(f.lookback)

    def stream(self, params: Mapping[str, ParamValue]) -> IndicatorState:
        return TalibStreamState(self, params)


class TalibStreamState:
    """A TA-Lib 0.8 stream handle: O(1) per bar and bit-identical to the Function API.

    Bars are buffered until the handle can open (lookback + 1 bars, a few more for some
    seeds); leading NaN bars are skipped as the Function API skips them.
    """

    def __init__(self, ind: TalibIndicator, params: Mapping[str, ParamValue]) -> None:
        self._open = getattr(talib_stream, ind.name)
        self._params = dict(params)
        self._need = ind.lookback(params) + 1
        self._nan = (math.nan,) * len(ind.outputs)
        self._hist: list[list[float]] = [[] for _ in ind.input_ports()]
        self._handle: Any = None

    def update(self, *xs: float) -> tuple[float, ...]:
        if self._handle is not None:
            if not all(math.isfinite(x) for x in xs):
                self._handle.advance()  # TA-Lib streams reject non-finite bars
                return self._nan
            return _as_tuple(self._handle.update(*xs))
        if not self._hist[0] and any(math.isnan(x) for x in xs):
            return self._nan
        for h, x in zip(self._hist, xs, strict=True):
            h.append(x)
        if len(self._hist[0]) < self._need:
            return self._nan
        return self._try_open()

    def _try_open(self) -> tuple[float, ...]:
        arrays = [np.asarray(h, dtype=np.float64) for h in self._hist]
        try:
            self._handle = self._open(*arrays, **self._params)
        except talib.InsufficientHistory:
            return self._nan
        self._hist = []
        return _as_tuple(self._handle.value)


def _as_tuple(value: Any) -> tuple[float, ...]:
    if isinstance(value, tuple):
        return tuple(float(v) for v in value)
    return (float(value),)


def _inputs(input_names: Mapping[str, Any]) -> tuple[Input, ...]:
    ports: list[Input] = []
    for key, val in input_names.items():
        if isinstance(val, list):
            ports.extend(Input(v, v) for v in val)
        elif key == "periods":
            ports.append(Input("periods", None))  # MAVP: a series the user must wire
        else:
            ports.append(Input(key, val))
    return tuple(ports)


def _port_names(name: str, outputs: tuple[str, ...]) -> tuple[str, ...]:
    """Single outputs become ``out`` like every other node; MACD's become macd/signal/hist."""
    if len(outputs) == 1:
        return ("out",)
    if name.startswith("MACD"):
        return tuple(o if o == "macd" else o.removeprefix("macd") for o in outputs)
    return outputs


def _params(name: str, info: Mapping[str, Any]) -> tuple[Param, ...]:
    out = []
    for i, (pname, default) in enumerate(info["parameters"].items()):
        meta = talib._ta_lib._ta_getOptInputParameterInfo(name.encode(), i)
        kind = "float" if isinstance(default, float) else "int"
        lo, hi = _probe_range(name, pname, kind, info["parameters"])
        out.append(
            Param(name=pname, type=kind, default=default, min=lo, max=hi, help=meta["help"] or "")
        )
    return tuple(out)


@cache
def _probe_series() -> np.ndarray:
    return 100.0 + np.cumsum(np.random.default_rng(3).normal(0.0, 1.0, 64))


@cache
def _nargs(name: str) -> int:
    return len(_inputs(abstract.Function(name).info["input_names"]))


def _accepts(name: str, pname: str, value: ParamValue, defaults: Mapping[str, Any]) -> bool:
    fn = getattr(talib, name)
    nargs = _nargs(name)
    kw = dict(defaults)
    kw[pname] = value
    try:
        fn(*([_probe_series()] * nargs), **kw)
    except Exception:
        return False
    return True


def _probe_range(
    name: str, pname: str, kind: str, defaults: Mapping[str, Any]
) -> tuple[ParamValue, ParamValue]:
    if kind == "int":
        lo = next((v for v in range(0, 6) if _accepts(name, pname, v, defaults)), 1)
        small = (v for v in range(lo, 65) if not _accepts(name, pname, v + 1, defaults))
        hi = next(small, None) or next(
            (m for m in _INT_MAX_CANDIDATES if not _accepts(name, pname, m + 1, defaults)),
            2**31 - 1,
        )
        return lo, hi
    flo = next((v for v in _FLOAT_MIN_CANDIDATES if _accepts(name, pname, v, defaults)), 0.0)
    fhi = next((v for v in _FLOAT_MAX_CANDIDATES if _accepts(name, pname, v, defaults)), 1.0)
    return flo, fhi


def talib_indicators() -> dict[str, BaseIndicator]:
    return {n: TalibIndicator(n) for n in talib.get_functions()}
