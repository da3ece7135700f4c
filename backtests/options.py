"""Option legs in a backtest: the run config's ``options`` block checked at request time, and
turned into the engine's ``OptionsConfig`` (stored chain, IV input) by the worker.

A strategy with option legs trades the resolved contracts' premiums (docs/adr/0014); the
request is refused with the field named when it lacks what its premium source needs, so a
run never fails late for a reason known up front, and never trades the underlying instead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from algobacktester.errors import InvalidInput
from engine.graph import compile_graph
from engine.graph.capabilities import entry_quantities
from engine.markets import calendar
from engine.options.config import DEFAULT_RATE, DEFAULT_SHORT_MARGIN_PCT, OptionsConfig
from engine.options.run import option_legs
from engine.sim import SimConfig
from marketdata import options as md_options

FIELD = "options"
# What an option-leg trade adds to the engine's trade dict, stored on BacktestTrade.option.
OPTION_TRADE_KEYS = (
    "leg",
    "group",
    "position",
    "contract",
    "underlying",
    "expiry",
    "strike",
    "option_type",
    "lots",
    "lot_size",
    "units",
    "premium_in",
    "premium_out",
    "premium_source",
)


def graph_legs(graph: dict[str, Any]) -> dict[str, Any]:
    """node id -> leg spec of a (valid) strategy document."""
    return {node: spec for node, (spec, _) in option_legs(compile_graph(graph).plan).items()}


def options_checked(
    *, graph: dict[str, Any], config: dict[str, Any], instrument: Any, start: date, end: date
) -> dict[str, Any] | None:
    """The ``options`` block to store (defaults filled), or None for a strategy without legs.

    Refuses: legs without ``options``; ``options`` or ``sizing`` where they would not be used;
    a leg whose underlying the calendar does not know; ``real`` with no stored contracts of
    the underlying in the range; a model source without an IV input or with a stored IV
    series that has nothing in the range.
    """
    legs = graph_legs(graph)
    raw = config.get(FIELD)
    if not legs:
        if raw:
            raise InvalidInput({FIELD: ["the strategy has no option leg; remove options"]})
        return None
    if not raw:
        raise InvalidInput(
            {
                f"{FIELD}.premium_source": [
                    "the strategy has option legs: choose real, model or "
                    "real_then_model (and iv for model premiums)"
                ]
            }
        )
    if config.get("sizing"):
        raise InvalidInput({"sizing": ["option legs are sized by their own lots; remove sizing"]})
    runs_on = default_underlying(instrument)
    underlyings = {runs_on}
    for node, spec in legs.items():
        u = spec.underlying or runs_on
        if u != runs_on:
            raise InvalidInput(
                {
                    f"strategy.{node}.underlying": [
                        f"the leg trades {u} options but the run's instrument is {runs_on}: "
                        "legs are priced and resolved from the run's own bars"
                    ]
                }
            )
        try:
            calendar.lot_size(u, start)
        except ValueError as exc:
            raise InvalidInput(
                {f"strategy.{node}.underlying": [f"the leg cannot trade options on {u}: {exc}"]}
            ) from exc
    source = raw["premium_source"]
    if source == "real":
        for u in sorted(underlyings):
            if not md_options.option_contract_list(underlying=u, on=start).exists():
                raise InvalidInput(
                    {
                        f"{FIELD}.premium_source": [
                            f"'real' premiums need stored {u} option contracts alive on "
                            f"{start}; none are stored: import them "
                            "(manage.py marketdata_options_import) or use real_then_model/model"
                        ]
                    }
                )
    if source != "real":
        _check_iv(raw, sorted(underlyings), start, end)
    return dict(raw)


def _check_iv(raw: dict[str, Any], underlyings: list[str], start: date, end: date) -> None:
    if raw.get("iv") is not None:
        return
    series = raw.get("iv_series")
    if series is None:
        raise InvalidInput(
            {
                f"{FIELD}.iv": [
                    f"'{raw['premium_source']}' premiums need an iv (e.g. 0.14) or an "
                    "iv_series (auto, atm_iv, india_vix)"
                ]
            }
        )
    for u in underlyings:
        if md_options.iv_series(u, start, end, source=series) is None:
            raise InvalidInput(
                {
                    f"{FIELD}.iv_series": [
                        f"no stored '{series}' IV for {u} between {start} "
                        f"and {end}: import it or give a constant iv"
                    ]
                }
            )


def quantity_checked(*, graph: dict[str, Any], sizing: dict[str, Any]) -> None:
    """An entry order's ``quantity`` multiplies a fixed or lots size; refuse it beside a size
    from equity (it would otherwise be ignored)."""
    wanted = set(entry_quantities(graph).values()) - {1}
    mode = sizing.get("mode", "lots")
    if wanted and mode not in ("fixed", "lots"):
        raise InvalidInput(
            {
                "sizing.mode": [
                    f"the strategy's entry orders ask for quantity {sorted(wanted)[0]}, which "
                    f"multiplies a fixed or lots size, not '{mode}'"
                ]
            }
        )


def default_underlying(instrument: Any) -> str:
    return str(instrument.underlying or instrument.symbol).strip().upper()


def with_options(
    sim: SimConfig, *, config: dict[str, Any], instrument: Any, start: date, end: date
) -> SimConfig:
    """The engine config with ``options`` built: the stored chain and the IV input."""
    raw = config.get(FIELD)
    if not raw:
        return sim
    underlying = default_underlying(instrument)
    source = raw["premium_source"]
    iv: Any = raw.get("iv")
    if iv is None and source != "real":
        iv = md_options.iv_series(underlying, start, end, source=raw["iv_series"])
        if iv is None:
            raise ValueError(f"no stored '{raw['iv_series']}' IV for {underlying} any more")
    options = OptionsConfig(
        premium_source=source,
        iv=iv,
        rate=float(raw.get("rate", DEFAULT_RATE)),
        chain=md_options.stored_chain(underlying) if source != "model" else None,
        underlying=underlying,
        short_margin_pct=float(raw.get("short_margin_pct", DEFAULT_SHORT_MARGIN_PCT)),
    )
    return replace(sim, options=options)
