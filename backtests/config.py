"""A backtest's run configuration: stored on the run as JSON, turned into the engine's
``SimConfig`` by the worker. Stored JSON keeps re-runs identical. The API validates it with
``backtests.api.config``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings

from engine.fees import get_fee_model
from engine.sim import SimConfig
from engine.sim.config import Sizing, Slippage


def limits() -> dict[str, Any]:
    return settings.BACKTESTS


def normalise(config: dict[str, Any], *, lot_size: int, tick_size: float) -> dict[str, Any]:
    """Fill every default in, so the stored JSON alone reproduces the run."""
    sizing = {"mode": "fixed", "value": 1.0, **config.get("sizing", {})}
    sizing.setdefault("lot_size", float(lot_size))
    return {
        "capital": str(config.get("capital", Decimal("100000"))),
        "fees": {"model": "zero", "params": {}, **config.get("fees", {})},
        "sizing": sizing,
        "slippage": {"ticks": 0.0, "bps": 0.0, "tick_size": tick_size, **config.get("slippage", {})},
        **{k: config[k] for k in ("fill", "stop_first", "close_at_end", "allow_long",
                                  "allow_short", "margin", "pyramiding") if k in config},
    }  # fmt: skip


def sim_config(config: dict[str, Any]) -> SimConfig:
    fees = config["fees"]
    return SimConfig(
        initial_cash=float(config["capital"]),
        fill=config.get("fill", "next_open"),
        sizing=Sizing(**config["sizing"]),
        fees=get_fee_model(fees["model"], **fees["params"]),
        slippage=Slippage(**config["slippage"]),
        margin=config.get("margin", 1.0),
        stop_first=config.get("stop_first", True),
        pyramiding=config.get("pyramiding", 1),
        close_at_end=config.get("close_at_end", True),
        allow_long=config.get("allow_long", True),
        allow_short=config.get("allow_short", True),
    )
