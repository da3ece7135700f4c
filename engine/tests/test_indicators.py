"""Indicator catalogue, SuperTrend, session VWAP, plugins and streaming states."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import talib

from engine.graph.testing import random_walk_bars
from engine.indicators import PRICE_FIELDS, BaseIndicator, Param, catalogue, get_registry
from engine.indicators.base import WindowedState

PLUGIN_SRC = """
from engine.indicators import BaseIndicator, Param

class FakeSma(BaseIndicator):
    name = "SMA"
    inputs = ("close",)
    params = (Param(name="timeperiod", type="int", default=3, min=1, max=10),)
    def compute(self, inputs, params):
        return inputs["close"] * 0 + 42.0

class Spread(BaseIndicator):
    name = "SPREAD"
    inputs = ("high", "low")
    outputs = ("out",)
    def compute(self, inputs, params):
        return inputs["high"] - inputs["low"]
"""


def _entry(name: str) -> dict:
    return next(e for e in catalogue() if e["name"] == name)


def test_catalogue_is_json_and_lists_every_talib_function_and_source() -> None:
    cat = catalogue()
    assert json.loads(json.dumps(cat)) == cat
    names = {e["name"] for e in cat}
    assert set(talib.get_functions()) <= names
    assert {"SUPERTREND", "VWAP", *PRICE_FIELDS} <= names
    for e in cat:
        assert set(e) >= {"name", "group", "inputs", "parameters", "outputs"}


def test_catalogue_metadata_for_macd_and_sma() -> None:
    macd = _entry("MACD")
    assert [o["name"] for o in macd["outputs"]] == ["macd", "signal", "hist"]
    assert [i["name"] for i in macd["inputs"]] == ["price"]
    fast = macd["parameters"][0]
    assert fast == {**fast, "name": "fastperiod", "type": "int", "default": 12, "max": 100_000}
    sma = _entry("SMA")
    assert sma["group"] == "Overlap Studies"
    assert sma["parameters"][0]["default"] == 30
    bb = _entry("BBANDS")
    assert {p["name"]: p["type"] for p in bb["parameters"]}["nbdevup"] == "float"
    atr = _entry("ATR")
    assert [i["default"] for i in atr["inputs"]] == ["high", "low", "close"]


def test_probed_ranges_match_talib() -> None:
    rsi = get_registry()["RSI"].param_map()["timeperiod"]
    assert (rsi.min, rsi.max) == (2, 100_000)
    x = np.arange(50, dtype=float)
    with pytest.raises(Exception, match="BAD_PARAM"):
        talib.RSI(x, timeperiod=rsi.min - 1)
    talib.RSI(x, timeperiod=rsi.min)


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        (10, True),
        (10.0, True),
        (1, False),
        ("10", False),
        (True, False),
        (math.inf, False),
        (10**400, False),
        (2.5, False),
    ],
)
def test_param_coerce(value: object, ok: bool) -> None:
    p = Param(name="n", type="int", default=5, min=2, max=100)
    assert isinstance(p.coerce(value), int) is ok


def test_supertrend_flat_bars_by_hand() -> None:
    st = get_registry()["SUPERTREND"]
    n = 12
    h, lo, c = np.full(n, 11.0), np.full(n, 9.0), np.full(n, 10.0)
    out = st.run({"high": h, "low": lo, "close": c}, {"period": 10, "factor": 3.0})
    # TR = 2 on every bar; ATR (RMA seeded by SMA) = 2 from bar 9; lower band 10 - 3*2 = 4
    assert np.isnan(out["line"][:9]).all()
    assert out["line"][9:].tolist() == [4.0] * 3
    assert out["direction"][9:].tolist() == [1.0] * 3


def _supertrend_reference(h, lo, c, n, f):
    """Straight from the INTEGRATIONS text, in plain Python."""
    size = len(c)
    tr = [h[0] - lo[0]] + [
        max(h[i] - lo[i], abs(h[i] - c[i - 1]), abs(lo[i] - c[i - 1])) for i in range(1, size)
    ]
    atr = [math.nan] * size
    atr[n - 1] = sum(tr[:n]) / n
    for i in range(n, size):
        atr[i] = (1 / n) * tr[i] + (1 - 1 / n) * atr[i - 1]
    line, direc = [math.nan] * size, [math.nan] * size
    up = lowb = trend = None
    for i in range(n - 1, size):
        mid = (h[i] + lo[i]) / 2
        bu, bl = mid + f * atr[i], mid - f * atr[i]
        new_l = bl if lowb is None or bl > lowb or c[i - 1] < lowb else lowb
        new_u = bu if up is None or bu < up or c[i - 1] > up else up
        if trend is None or (trend == -1 and c[i] > up):
            trend = 1
        elif trend == 1 and c[i] < lowb:
            trend = -1
        up, lowb = new_u, new_l
        line[i], direc[i] = (lowb if trend == 1 else up), trend
    return np.array(line), np.array(direc)


def test_supertrend_matches_reference_and_flips() -> None:
    b = random_walk_bars(3_000, seed=4)
    out = get_registry()["SUPERTREND"].run(
        {"high": b.high, "low": b.low, "close": b.close}, {"period": 10, "factor": 3.0}
    )
    ref_line, ref_dir = _supertrend_reference(b.high, b.low, b.close, 10, 3.0)
    np.testing.assert_allclose(out["line"], ref_line, rtol=1e-12, equal_nan=True)
    np.testing.assert_array_equal(out["direction"], ref_dir)
    assert (np.diff(out["direction"][10:]) != 0).sum() > 5  # it does flip
    up = out["direction"] == 1
    assert (out["line"][up] <= b.high[up]).all()


def test_supertrend_atr_agrees_with_talib_after_warmup() -> None:
    b = random_walk_bars(500, seed=5)
    out = get_registry()["SUPERTREND"].run(
        {"high": b.high, "low": b.low, "close": b.close}, {"period": 10, "factor": 1.0}
    )
    atr = talib.ATR(b.high, b.low, b.close, 10)
    mid = (b.high + b.low) / 2
    implied = np.where(out["direction"] == 1, mid - out["line"], out["line"] - mid)
    fresh = np.isclose(implied, atr, rtol=1e-6)  # bands that were not ratcheted
    assert fresh[200:].mean() > 0.3


def test_vwap_resets_each_ist_day_and_weights_volume() -> None:
    b = random_walk_bars(750, seed=6)
    vw = get_registry()["VWAP"].run(
        {"ts": b.ts, "high": b.high, "low": b.low, "close": b.close, "volume": b.volume}, {}
    )["out"]
    tp = (b.high + b.low + b.close) / 3
    assert vw[0] == pytest.approx(tp[0])
    assert vw[375] == pytest.approx(tp[375])  # the second day starts afresh
    day2 = slice(375, 500)
    expect = np.sum(tp[day2] * b.volume[day2]) / np.sum(b.volume[day2])
    assert vw[499] == pytest.approx(expect, rel=1e-12)


def test_vwap_without_volume_falls_back_to_equal_weights() -> None:
    b = random_walk_bars(10, seed=7)
    vw = get_registry()["VWAP"].run(
        {"ts": b.ts, "high": b.high, "low": b.low, "close": b.close, "volume": b.volume * 0}, {}
    )["out"]
    tp = (b.high + b.low + b.close) / 3
    assert vw[-1] == pytest.approx(tp.mean())


def test_plugins_join_and_override(tmp_path: Path) -> None:
    (tmp_path / "mine.py").write_text(PLUGIN_SRC)
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')")
    with pytest.warns(UserWarning, match="boom"):
        reg = get_registry(tmp_path, reload=True)
    assert reg["SMA"].origin == "plugin"
    assert reg["SPREAD"].run({"high": np.ones(3), "low": np.zeros(3)}, {})["out"].tolist() == [
        1,
        1,
        1,
    ]
    names = [e["name"] for e in catalogue(tmp_path)]
    assert names.count("SMA") == 1 and "SPREAD" in names
    assert get_registry(None)["SMA"].origin == "talib"


def test_default_plugin_package_has_hull_ma() -> None:
    hma = get_registry()["HMA"]
    x = random_walk_bars(400, seed=8).close
    vec = hma.run({"close": x}, {"timeperiod": 16})["out"]
    state = hma.stream({"timeperiod": 16})
    streamed = np.array([state.update(v)[0] for v in x.tolist()])
    np.testing.assert_array_equal(vec, streamed)


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("SMA", {"timeperiod": 10}),
        ("EMA", {"timeperiod": 20}),
        ("RSI", {"timeperiod": 14}),
        ("ATR", {"timeperiod": 14}),
        ("MACD", {"fastperiod": 12, "slowperiod": 26, "signalperiod": 9}),
        ("BBANDS", {"timeperiod": 20, "nbdevup": 2.0, "nbdevdn": 2.0, "matype": 0}),
        ("STOCH", {}),
        ("ADX", {"timeperiod": 14}),
        ("KAMA", {"timeperiod": 30}),
        ("SUPERTREND", {"period": 10, "factor": 3.0}),
        ("CDLENGULFING", {}),
    ],
)
def test_stream_state_is_bit_identical(name: str, params: dict) -> None:
    ind = get_registry()[name]
    params = {**ind.defaults(), **params}
    b = random_walk_bars(1_500, seed=9)
    cols = {p.name: b.field(p.default) for p in ind.input_ports()}
    vec = ind.run(cols, params)
    state = ind.stream(params)
    rows = list(zip(*(c.tolist() for c in cols.values()), strict=True))
    got = np.array([state.update(*r) for r in rows])
    for k, out in enumerate(ind.outputs):
        np.testing.assert_array_equal(got[200:, k], vec[out][200:], err_msg=out)


def test_windowed_state_for_plugins_converges() -> None:
    class Ema(BaseIndicator):
        name = "MYEMA"
        params = (Param(name="timeperiod", type="int", default=10, min=2, max=1000),)

        def compute(self, inputs, params):
            return talib.EMA(inputs["close"], params["timeperiod"])

    ind = Ema()
    x = random_walk_bars(2_000, seed=10).close
    state = ind.stream({"timeperiod": 10})
    assert isinstance(state, WindowedState)
    got = np.array([state.update(v)[0] for v in x.tolist()])
    np.testing.assert_allclose(
        got[300:], ind.run({"close": x}, {"timeperiod": 10})["out"][300:], rtol=1e-9
    )


def test_check_rejects_bad_combinations() -> None:
    mavp = get_registry()["MAVP"]
    assert mavp.check({"minperiod": 2, "maxperiod": 30, "matype": 0}) is None
    assert mavp.check({"minperiod": 30, "maxperiod": 2, "matype": 0}) is not None
