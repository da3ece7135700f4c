"""Parameter sweeps and walk-forward analysis over a strategy's numeric node parameters.

Each combination is evaluated with whole-array code (indicator arrays cached per distinct
parameter value) and simulated by the numba kernel; there is no Python loop per bar.

    >>> ranges = [ParamRange.parse("ma_fast.timeperiod=5:53:2"),
    ...           ParamRange.parse("ma_slow.timeperiod=10:205:5")]
    >>> result = run_sweep(bars, compiled, ranges, constraint="ma_fast.timeperiod < ma_slow.timeperiod")
    >>> result.table.head(), result.best_params
"""

from __future__ import annotations

import bisect
import itertools
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd

from engine.backtest import open_entry_bar
from engine.bars import Bars
from engine.metrics import NUMERIC_KEYS, StatsContext, compute_stats
from engine.signals import RiskSettings, Signals
from engine.sim import SimConfig
from engine.sim.run import Prepared, simulate_prepared

Params = dict[str, float]
MAX_RANGE_VALUES = 100_000  # values one swept parameter may take
SignalFn = Callable[[Params], Signals]
Progress = Callable[[int, int], None]
_RANGE = re.compile(r"^\s*([\w.-]+)\s*=\s*(.+)$")
_CONSTRAINT = re.compile(r"^\s*([\w.-]+)\s*(<=|>=|<|>|==|!=)\s*([\w.-]+)\s*$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}


class Tunable(Protocol):
    """A compiled graph: ``engine.graph.CompiledGraph`` fits."""

    @property
    def risk(self) -> RiskSettings: ...

    def with_params(self, changes: Mapping[str, Any]) -> Tunable: ...

    def evaluate(self, bars: Bars) -> Signals: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamRange:
    """One swept parameter ``node.param`` and its values."""

    path: str
    values: tuple[float, ...]

    @classmethod
    def parse(cls, text: str) -> ParamRange:
        """``node.param=start:stop:step`` (stop included) or ``node.param=1,2,5``."""
        m = _RANGE.match(text)
        if not m:
            raise ValueError(f"bad --param {text!r}: expected node.param=start:stop:step or a,b,c")
        path, spec = m.groups()
        try:
            values = _range_values(spec) if ":" in spec else [_num(x) for x in spec.split(",")]
        except ValueError:
            raise ValueError(f"bad --param {text!r}: values must be numbers") from None
        if not values:
            raise ValueError(f"bad --param {text!r}: the range is empty")
        return cls(path=path, values=tuple(values))


@dataclass(frozen=True, slots=True)
class SweepResult:
    table: pd.DataFrame  # one row per combination: parameter columns, then statistics
    metric: str
    maximize: bool
    params: tuple[str, ...]

    @property
    def best_params(self) -> Params:
        return {p: _plain(self.best_row[p]) for p in self.params}

    @property
    def best_row(self) -> pd.Series:
        col = self.table[self.metric].astype(float)
        if col.notna().sum() == 0:
            raise ValueError(f"no combination has a value for '{self.metric}'")
        return self.table.loc[col.idxmax() if self.maximize else col.idxmin()]


@dataclass(frozen=True, slots=True)
class WalkForwardResult:
    windows: pd.DataFrame  # per fold: bounds, chosen parameters, in- and out-of-sample metrics
    metric: str


def grid(
    ranges: Sequence[ParamRange], constraint: str | Callable[[Params], bool] | None = None
) -> list[Params]:
    """All combinations (cartesian), filtered by ``constraint`` ("a.x < b.y" or a callable)."""
    paths = [r.path for r in ranges]
    if len(set(paths)) != len(paths):
        raise ValueError("a parameter is listed twice")
    keep = parse_constraint(constraint, paths) if isinstance(constraint, str) else constraint
    combos = [
        dict(zip(paths, vals, strict=True))
        for vals in itertools.product(*(r.values for r in ranges))
    ]
    return [c for c in combos if keep is None or keep(c)]


def grid_size(ranges: Sequence[ParamRange], constraint: str | None = None) -> int:
    """How many combinations :func:`grid` would build, counted from the ranges alone.

    Time and memory grow with the number of values, never with the number of combinations,
    so a caller can refuse a grid of 10^9 before building any of it."""
    paths = [r.path for r in ranges]
    if len(set(paths)) != len(paths):
        raise ValueError("a parameter is listed twice")
    values = {r.path: r.values for r in ranges}
    if constraint is None:
        return math.prod(len(v) for v in values.values())
    left, op, right = _constraint_parts(constraint, paths)
    named = {left, right} & values.keys()
    others = math.prod(len(v) for path, v in values.items() if path not in named)
    return others * _passing(values, left, op, right)


def _passing(values: Mapping[str, Sequence[float]], left: str, op: str, right: str) -> int:
    """Combinations of the constrained parameters that satisfy ``left op right``."""
    compare = _OPS[op]
    if left not in values and right not in values:
        return int(compare(float(left), float(right)))
    if left == right:
        return sum(1 for v in values[left] if compare(v, v))
    if right not in values:
        return sum(1 for v in values[left] if compare(v, float(right)))
    if left not in values:
        return sum(1 for v in values[right] if compare(float(left), v))
    return _pairs(values[left], op, sorted(values[right]))


def _pairs(xs: Sequence[float], op: str, ys: Sequence[float]) -> int:
    """Pairs (x, y) with ``x op y``, by binary search in the sorted ``ys``: O(n log n)."""
    n = len(ys)
    total = 0
    for x in xs:
        below, upto = bisect.bisect_left(ys, x), bisect.bisect_right(ys, x)
        total += {
            "<": n - upto,
            "<=": n - below,
            ">": below,
            ">=": upto,
            "==": upto - below,
            "!=": n - (upto - below),
        }[op]
    return total


def _constraint_parts(text: str, paths: Sequence[str]) -> tuple[str, str, str]:
    m = _CONSTRAINT.match(text)
    if not m:
        raise ValueError(
            f"bad constraint {text!r}: expected 'node.a < node.b' (or <=, >, >=, ==, !=)"
        )
    left, op, right = m.groups()
    for side in (left, right):
        if side not in paths and not _is_number(side):
            raise ValueError(f"constraint names '{side}', which is not a swept parameter")
    return left, op, right


def parse_constraint(text: str, paths: Sequence[str]) -> Callable[[Params], bool]:
    left, op, right = _constraint_parts(text, paths)

    def value(token: str, params: Params) -> float:
        return params[token] if token in params else float(token)

    return lambda params: _OPS[op](value(left, params), value(right, params))


def run_sweep(
    bars: Bars,
    strategy: Tunable | SignalFn,
    ranges: Sequence[ParamRange],
    config: SimConfig | None = None,
    *,
    risk: RiskSettings | None = None,
    metric: str = "sharpe",
    maximize: bool = True,
    constraint: str | Callable[[Params], bool] | None = None,
    progress: Progress | None = None,
) -> SweepResult:
    """Backtest every combination; a table of statistics and the best by ``metric``."""
    _check_metric(metric)
    combos = grid(ranges, constraint)
    if not combos:
        raise ValueError("no parameter combination passes the constraint")
    fn, risk = signal_factory(bars, strategy, risk)
    prep = Prepared.build(bars, config or SimConfig(), risk)
    ctx = StatsContext.from_bars(bars, prep.config.timezone)
    rows = []
    for k, params in enumerate(combos):
        rows.append(params | _stats_row(prep, fn(params), ctx))
        if progress:
            progress(k + 1, len(combos))
    return SweepResult(pd.DataFrame(rows), metric, maximize, tuple(r.path for r in ranges))


def walk_forward(
    bars: Bars,
    strategy: Tunable | SignalFn,
    ranges: Sequence[ParamRange],
    config: SimConfig | None = None,
    *,
    folds: int = 4,
    in_sample: float = 0.75,
    risk: RiskSettings | None = None,
    metric: str = "sharpe",
    maximize: bool = True,
    constraint: str | Callable[[Params], bool] | None = None,
    progress: Progress | None = None,
) -> WalkForwardResult:
    """Rolling windows: optimise on in-sample bars, then trade the next out-of-sample bars.

    The data splits into ``folds`` windows of equal length, each ``in_sample`` in-sample and
    the rest out-of-sample. Signals are computed once over all bars (indicators are causal),
    so out-of-sample trades start with warmed-up indicators and never see later bars.
    """
    _check_metric(metric)
    if folds < 1 or not 0 < in_sample < 1:
        raise ValueError("folds must be >= 1 and in_sample between 0 and 1")
    combos = grid(ranges, constraint)
    if not combos:
        raise ValueError("no parameter combination passes the constraint")
    fn, risk = signal_factory(bars, strategy, risk)
    prep = Prepared.build(bars, config or SimConfig(), risk)
    bounds = _folds(len(bars), folds, in_sample)
    cache = [fn(p) for p in combos]
    rows = []
    for f, (a, b, c) in enumerate(bounds):
        rows.append(_fold(prep, combos, cache, (a, b, c), metric, maximize))
        if progress:
            progress(f + 1, len(bounds))
    return WalkForwardResult(pd.DataFrame(rows), metric)


def signal_factory(
    bars: Bars, strategy: Tunable | SignalFn, risk: RiskSettings | None
) -> tuple[SignalFn, RiskSettings]:
    """A ``params -> Signals`` function over ``bars``, caching indicator arrays per value."""
    if not hasattr(strategy, "with_params"):
        return strategy, risk or RiskSettings()  # type: ignore[return-value]
    graph = strategy
    _check_sweepable(graph)
    cache: dict[tuple[Any, ...], Any] = {}

    def evaluate(params: Params) -> Signals:
        variant = graph.with_params({k: _plain(v) for k, v in params.items()})
        _share_indicator_cache(variant, cache)
        return variant.evaluate(bars)

    return evaluate, risk or graph.risk


def _check_sweepable(graph: Any) -> None:
    """A sweep runs the kernel only: option legs (which would trade the underlying) and an
    order's quantity (which would be ignored) are refused, as the backtest service does."""
    from engine.graph.capabilities import entry_quantities
    from engine.options.run import has_option_legs

    plan = getattr(graph, "plan", None)
    if plan is not None and has_option_legs(plan):
        raise ValueError("option legs run in single backtests, not in sweeps yet")
    document = getattr(graph, "document", None)
    if document is not None and set(entry_quantities(document).values()) - {1}:
        raise ValueError("a sweep does not apply an order's quantity yet: remove quantity")


class _CachedIndicator:
    """Wraps a graph plan's indicator so equal (inputs, parameters) compute once per sweep."""

    def __init__(self, inner: Any, cache: dict[tuple[Any, ...], Any]) -> None:
        self._inner, self._cache = inner, cache

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def run(
        self, inputs: Mapping[str, np.ndarray], params: Mapping[str, Any]
    ) -> dict[str, np.ndarray]:
        # Inputs are bar columns or cached upstream outputs, so identity is a sound key; the
        # entry keeps the inputs alive so their ids are never reused.
        key = (
            self._inner.name,
            tuple(sorted(params.items())),
            tuple((k, id(v)) for k, v in sorted(inputs.items())),
        )
        hit = self._cache.get(key)
        if hit is None:
            hit = (self._inner.run(inputs, params), tuple(inputs.values()))
            self._cache[key] = hit
        return hit[0]


def _share_indicator_cache(graph: Any, cache: dict[tuple[Any, ...], Any]) -> None:
    plan = getattr(graph, "plan", None)
    for node in getattr(plan, "nodes", ()):
        if getattr(node, "indicator", None) is not None and not isinstance(
            node.indicator, _CachedIndicator
        ):
            node.indicator = _CachedIndicator(node.indicator, cache)


def _stats_row(prep: Prepared, signals: Signals, ctx: StatsContext) -> dict[str, Any]:
    sim = simulate_prepared(prep, signals)
    open_bar = open_entry_bar(sim)
    stats = compute_stats(
        sim.trades,
        sim.equity,
        prep.bars,
        initial_cash=prep.config.initial_cash,
        open_entry_bar=open_bar,
        tz=prep.config.timezone,
        context=ctx,
    )
    return {k: stats[k] for k in NUMERIC_KEYS}


def _fold(
    prep: Prepared,
    combos: list[Params],
    cache: list[Signals],
    bounds: tuple[int, int, int],
    metric: str,
    maximize: bool,
) -> dict[str, Any]:
    a, b, c = bounds
    is_prep = prep.slice(a, b)
    ctx = StatsContext.from_bars(is_prep.bars, prep.config.timezone)
    scores = [_stats_row(is_prep, _slice(sig, a, b), ctx)[metric] for sig in cache]
    values = np.array([s if s is not None and not math.isnan(s) else np.nan for s in scores], float)
    if np.all(np.isnan(values)):
        best = 0
    else:
        best = int(np.nanargmax(values) if maximize else np.nanargmin(values))
    oos_prep = prep.slice(b, c)
    oos = _stats_row(
        oos_prep,
        _slice(cache[best], b, c),
        StatsContext.from_bars(oos_prep.bars, prep.config.timezone),
    )
    ts = prep.bars.ts
    return {
        "is_start": _t(ts[a]),
        "is_end": _t(ts[b - 1]),
        "oos_start": _t(ts[b]),
        "oos_end": _t(ts[c - 1]),
        **combos[best],
        f"is_{metric}": values[best],
        **{f"oos_{k}": v for k, v in oos.items()},
    }


def _folds(n: int, folds: int, in_sample: float) -> list[tuple[int, int, int]]:
    size = n // folds
    out = []
    for f in range(folds):
        a, c = f * size, (f + 1) * size if f < folds - 1 else n
        b = a + int((c - a) * in_sample)
        if b - a < 2 or c - b < 2:
            raise ValueError(f"too few bars ({n}) for {folds} walk-forward folds")
        out.append((a, b, c))
    return out


def _slice(sig: Signals, a: int, b: int) -> Signals:
    return Signals(
        entry_long=sig.entry_long[a:b],
        exit_long=sig.exit_long[a:b],
        entry_short=sig.entry_short[a:b],
        exit_short=sig.exit_short[a:b],
    )


def _check_metric(metric: str) -> None:
    if metric not in NUMERIC_KEYS:
        raise ValueError(f"unknown metric {metric!r}; choose from {', '.join(NUMERIC_KEYS)}")


def _range_values(spec: str) -> list[float]:
    parts = [_num(x) for x in spec.split(":")]
    if len(parts) not in (2, 3):
        raise ValueError(spec)
    start, stop = parts[0], parts[1]
    step = parts[2] if len(parts) == 3 else 1
    if step <= 0 or stop < start:
        raise ValueError(spec)
    count = math.floor((stop - start) / step + 1e-9) + 1
    if count > MAX_RANGE_VALUES:  # refuse before building: a tiny step would exhaust memory
        raise ValueError(spec)
    return [_plain(start + k * step) for k in range(count)]


def _num(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text else value


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def _t(ns: int) -> pd.Timestamp:
    return pd.Timestamp(int(ns), tz="UTC").tz_convert("Asia/Kolkata")
