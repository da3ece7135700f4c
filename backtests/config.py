"""A backtest's run configuration: stored on the run as JSON, turned into the engine's
``SimConfig`` by the worker. Stored JSON keeps re-runs identical. The API validates it with
``backtests.api.config``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings

from engine.fees import get_fee_model
from engine.markets import calendar
from engine.sim import SimConfig
from engine.sim.config import Sizing, Slippage


def limits() -> dict[str, Any]:
    return settings.BACKTESTS


# Defaults that fit Indian F&O (docs/backtests.md, "Defaults"): the instrument's own charges,
# one lot, and the margin its segment typically blocks, instead of zero fees and full notional.
DEFAULT_CAPITAL = Decimal("500000")
DEFAULT_FEES = {
    "option": "india_options",
    "future": "india_futures",
    "index": "india_futures",
    "equity": "india_equity_intraday",
}
DEFAULT_MARGIN = {"option": 1.0, "future": 0.12, "index": 0.12, "equity": 0.2}
INDIA_FEES = ("india_options", "india_futures", "india_equity_intraday")


def instrument_facts(instrument: Any, *, start: date) -> dict[str, Any]:
    """What ``normalise`` needs to know of an instrument traded from ``start``."""
    return {
        "lot_size": instrument.lot_size,
        "tick_size": float(instrument.tick_size),
        "kind": instrument.kind,
        "exchange": instrument.exchange,
        "lot_symbol": dated_lot_symbol(instrument, start),
    }


def normalise(
    config: dict[str, Any],
    *,
    lot_size: int,
    tick_size: float,
    kind: str = "index",
    exchange: str = "NSE",
    lot_symbol: str | None = None,
) -> dict[str, Any]:
    """Fill every default in, so the stored JSON alone reproduces the run.

    With ``lot_symbol`` (see :func:`dated_lot_symbol`) and no explicit ``lot_size``, lot-based
    sizing takes each bar's lot from the engine's calendar on the bar's date, and no
    ``lot_size`` is stored: the engine would not use it, and a run of 2024 whose config said
    65 while its trades used 50 then 25 misleads. Older rows that hold both read the same.
    ``end_of_data`` is stored alone; older rows' ``close_at_end`` is still read.
    """
    sizing = {"mode": "lots", "value": 1.0, **config.get("sizing", {})}
    if lot_symbol and "lot_size" not in sizing and sizing["mode"] != "fixed":
        sizing["lot_symbol"] = lot_symbol
    else:
        sizing.setdefault("lot_size", float(lot_size))
    return {
        "capital": str(config.get("capital", DEFAULT_CAPITAL)),
        "fees": _fees(config.get("fees"), kind=kind, exchange=exchange),
        "sizing": sizing,
        "slippage": {
            "ticks": 0.0,
            "bps": 0.0,
            "tick_size": tick_size,
            **config.get("slippage", {}),
        },
        "margin": config.get("margin", DEFAULT_MARGIN.get(kind, 1.0)),
        **{
            k: config[k]
            for k in ("fill", "stop_first", "allow_long", "allow_short", "pyramiding")
            if k in config
        },
        "end_of_data": end_of_data(config),
        **({"options": config["options"]} if config.get("options") else {}),
    }


def dated_lot_symbol(instrument: Any, start: date) -> str | None:
    """The calendar name of an index instrument whose lot sizes are dated from ``start``.

    Contract instruments (a future, an option) keep their own master lot; an index series is
    traded through whichever contract was listed, whose lot changed over the years.
    """
    if instrument.kind != "index":
        return None
    symbol = instrument.underlying or instrument.symbol
    try:
        calendar.lot_size(symbol, start)
    except ValueError:  # not a calendar underlying, or a run before its lot table
        return None
    return symbol


def _fees(requested: dict[str, Any] | None, *, kind: str, exchange: str) -> dict[str, Any]:
    fees = {"model": DEFAULT_FEES.get(kind, "zero"), "params": {}, **(requested or {})}
    if fees["model"] in INDIA_FEES and "exchange" not in fees["params"]:
        fees["params"] = {**fees["params"], "exchange": exchange}  # BSE rates for SENSEX
    return fees


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
        end_of_data=end_of_data(config),
        allow_long=config.get("allow_long", True),
        allow_short=config.get("allow_short", True),
    )


def end_of_data(config: dict[str, Any]) -> str:
    """``end_of_data``, or from the older ``close_at_end`` flag (runs stored before it)."""
    if "end_of_data" in config:
        return str(config["end_of_data"])
    return "close_at_close" if config.get("close_at_end", True) else "keep_open"
