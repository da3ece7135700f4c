"""The indicator contract: metadata a UI can render plus vectorised and streaming compute.

Built-ins (TA-Lib, SuperTrend, VWAP) and operator plugins in ``custom_modules/indicators``
all extend :class:`BaseIndicator`, so the graph compiler never special-cases a source.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

PRICE_FIELDS = ("open", "high", "low", "close", "volume", "hl2", "hlc3", "ohlc4")
ParamValue = int | float
TS_INPUT = "ts"  # an input fed with the bar timestamps (int64 ns UTC), never wired by users


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One tunable parameter with its type and inclusive range."""

    name: str
    type: Literal["int", "float"]
    default: ParamValue
    min: ParamValue
    max: ParamValue
    help: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "default": self.default,
            "min": self.min,
            "max": self.max,
            "help": self.help,
        }

    def coerce(self, value: object) -> ParamValue | str:
        """The value as int/float, or an error message (never raises on any JSON value)."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"must be a number ({self.type}); got {type(value).__name__}"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if self.type == "int":
            if isinstance(value, float) and not value.is_integer():
                return f"must be an integer; got {value!r}"
            if not self.min <= value <= self.max:
                return f"must be between {self.min} and {self.max}; got {value!r}"
            return int(value)
        if not self.min <= value <= self.max:
            return f"must be between {self.min} and {self.max}; got {value!r}"
        return float(value)


@dataclass(frozen=True, slots=True)
class Input:
    """An input port; ``default`` is the price field used when no edge feeds it."""

    name: str
    default: str | None


class IndicatorState(Protocol):
    """Streaming state: one call per bar, returns one value per output."""

    def update(self, *inputs: float) -> tuple[float, ...]: ...


class BaseIndicator:
    """Subclass, set the class attributes and implement :meth:`compute`.

    ``inputs`` may be plain strings (price fields such as ``"close"``); ``outputs`` are
    port names. Override :meth:`stream` for an O(1) incremental form; the default
    recomputes :meth:`compute` over a bounded trailing window of :meth:`window` bars.
    """

    name: ClassVar[str] = ""
    group: ClassVar[str] = "Custom"
    display_name: ClassVar[str] = ""
    inputs: ClassVar[tuple[str | Input, ...]] = ("close",)
    params: ClassVar[tuple[Param, ...]] = ()
    outputs: ClassVar[tuple[str, ...]] = ("out",)
    origin: ClassVar[str] = "plugin"

    def compute(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, ParamValue]
    ) -> dict[str, np.ndarray] | np.ndarray:
        raise NotImplementedError

    # -- derived metadata -------------------------------------------------------------
    def input_ports(self) -> tuple[Input, ...]:
        return tuple(
            i if isinstance(i, Input) else Input(i, i if i in PRICE_FIELDS else None)
            for i in self.inputs
        )

    def param_map(self) -> dict[str, Param]:
        return {p.name: p for p in self.params}

    def defaults(self) -> dict[str, ParamValue]:
        return {p.name: p.default for p in self.params}

    def describe(self) -> dict[str, Any]:
        """The JSON-serialisable catalogue entry."""
        return {
            "kind": "indicator",
            "name": self.name,
            "group": self.group,
            "display_name": self.display_name or self.name,
            "origin": self.origin,
            "inputs": [
                {"name": i.name, "default": i.default}
                for i in self.input_ports()
                if i.default != TS_INPUT
            ],
            "parameters": [p.to_dict() for p in self.params],
            "outputs": [{"name": o, "type": "number"} for o in self.outputs],
        }

    # -- evaluation -------------------------------------------------------------------
    def run(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, ParamValue]
    ) -> dict[str, np.ndarray]:
        """:meth:`compute` normalised to float64 arrays keyed by every output name."""
        out = self.compute(inputs, params)
        if isinstance(out, np.ndarray):
            out = {self.outputs[0]: out}
        return {o: np.asarray(out[o], dtype=np.float64) for o in self.outputs}

    def check(self, params: Mapping[str, ParamValue]) -> str | None:
        """Try the parameters on a tiny series: catches combinations a range cannot."""
        probe = _probe_inputs(self.input_ports())
        try:
            self.run(probe, params)
        except Exception as exc:  # any failure here is a parameter problem for the user
            return f"rejected by {self.name}: {exc}"
        return None

    def window(self, params: Mapping[str, ParamValue]) -> int:
        """Trailing bars the default streaming state recomputes over."""
        ints = [int(v) for k, v in params.items() if self.param_map()[k].type == "int"]
        return min(20_000, 10 * max([10, *ints]) + 100)

    def stream(self, params: Mapping[str, ParamValue]) -> IndicatorState:
        return WindowedState(self, params, self.window(params))


def _probe_inputs(ports: tuple[Input, ...], n: int = 64) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    close = 100.0 + np.cumsum(rng.normal(0.0, 1.0, n))
    base = {
        "open": close + 0.1,
        "high": close + 1.0,
        "low": close - 1.0,
        "close": close,
        "volume": np.full(n, 1000.0),
    }
    return {p.name: base.get(p.default or "close", close) for p in ports}


class WindowedState:
    """Recompute over the last ``window`` bars: bounded cost for functions with no
    incremental form. Buffers are twice the window so a shift happens once per window."""

    def __init__(
        self, indicator: BaseIndicator, params: Mapping[str, ParamValue], window: int
    ) -> None:
        self._ind = indicator
        self._params = dict(params)
        self._names = [p.name for p in indicator.input_ports()]
        self._w = max(2, window)
        self._buf = np.full((len(self._names), 2 * self._w), np.nan)
        self._n = 0

    def update(self, *inputs: float) -> tuple[float, ...]:
        if self._n == self._buf.shape[1]:
            self._buf[:, : self._w - 1] = self._buf[:, self._n - self._w + 1 :]
            self._n = self._w - 1
        self._buf[:, self._n] = inputs
        self._n += 1
        lo = max(0, self._n - self._w)
        view = {
            k: np.ascontiguousarray(self._buf[i, lo : self._n]) for i, k in enumerate(self._names)
        }
        out = self._ind.run(view, self._params)
        return tuple(float(out[o][-1]) for o in self._ind.outputs)
