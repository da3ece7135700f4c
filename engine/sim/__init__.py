"""Simulation: one state machine (``kernel.step``) for backtests, paper and live."""

from engine.sim.config import SimConfig, Sizing, Slippage
from engine.sim.result import Rejections, SimResult, Trades
from engine.sim.run import simulate
from engine.sim.session import SimSession

__all__ = [
    "Rejections",
    "SimConfig",
    "SimResult",
    "SimSession",
    "Sizing",
    "Slippage",
    "Trades",
    "simulate",
]
