"""The one-pass cross kernel gives numpy's two-step formula bit for bit (ties, NaN, equal
runs), and an evaluation reuses one pass for both directions of a pair."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from engine.bars import Bars
from engine.graph import compile_graph, example_documents
from engine.graph.vector import _cross_pair
from engine.tests.strategies import tick_bars

# few distinct values, so ties and repeated levels are common; NaN as indicators' warm-up
values = st.sampled_from([np.nan, -1.0, 0.0, 0.5, 1.0, 2.0])


def numpy_crosses(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    up = np.zeros(len(a), dtype=np.bool_)
    down = np.zeros(len(a), dtype=np.bool_)
    if len(a) >= 2:
        up[1:] = (a[1:] > b[1:]) & (a[:-1] <= b[:-1])
        down[1:] = (a[1:] < b[1:]) & (a[:-1] >= b[:-1])
    return up, down


@given(
    st.integers(0, 60).flatmap(
        lambda n: st.tuples(
            arrays(np.float64, n, elements=values), arrays(np.float64, n, elements=values)
        )
    )
)
def test_the_kernel_matches_numpy(pair: tuple[np.ndarray, np.ndarray]) -> None:
    a, b = pair
    up, down = _cross_pair(a, b)
    want_up, want_down = numpy_crosses(a, b)
    assert up.tolist() == want_up.tolist()
    assert down.tolist() == want_down.tolist()


@given(tick_bars(400))
def test_graph_signals_match_numpy_crosses(bars: Bars) -> None:
    import talib

    sig = compile_graph(example_documents()["sma_cross"]).evaluate(bars)
    up, down = numpy_crosses(talib.SMA(bars.close, 10), talib.SMA(bars.close, 20))
    assert sig.entry_long.tolist() == up.tolist()
    assert sig.exit_long.tolist() == down.tolist()
