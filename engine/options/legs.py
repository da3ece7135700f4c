"""An option leg as the strategy language says it: what to trade when its gate fires.

``engine.graph.params.check_option_leg`` validates the node's params; :func:`leg_spec`
turns the validated params into a :class:`LegSpec`. Resolution to a contract happens at the
bar the leg fires (``engine.options.resolve``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["points", "percent"]

EXPIRY_CHOICES = ("current_week", "next_week", "current_month", "next_month")
EXPIRY_ALIASES = {"weekly": "current_week", "monthly": "current_month"}
# ATM: offset n strikes up (+) or down (-); ITM/OTM: n strikes into / out of the money.
STRIKE_STEPS_MODES = ("ATM", "ITM", "OTM")
STRIKE_VALUE_MODES = {
    "premium_closest": "premium",
    "premium_at_least": "premium",
    "premium_at_most": "premium",
    "delta_closest": "delta",
    "straddle_pct": "percent",
}
STRIKE_MODES = (*STRIKE_STEPS_MODES, *STRIKE_VALUE_MODES)
ATM_FROM = ("spot", "futures")
REENTRY_MODES = ("immediate", "next_signal")
LEG_LEVELS = ("stop", "target", "trailing")
# Distances in the leg's favour that change its stop: trailing starts after ``trail_after``;
# the stop moves to the entry premium (cost) after ``cost_after``.
LEG_ACTIVATIONS = ("trail_after", "cost_after")


@dataclass(frozen=True, slots=True)
class PremiumLevel:
    """A distance from the leg's entry premium: ``value`` points or ``value`` percent."""

    value: float
    unit: Unit = "points"

    def distance(self, entry: float) -> float:
        return entry * self.value / 100.0 if self.unit == "percent" else self.value


@dataclass(frozen=True, slots=True)
class LegSpec:
    node: str
    side: int  # +1 buy, -1 sell
    right: Literal["CE", "PE"]
    lots: int
    underlying: str | None  # None: the run's instrument
    expiry: str  # one of EXPIRY_CHOICES, or an ISO date
    strike: str  # one of STRIKE_MODES
    offset: int = 0
    value: float | None = None  # premium, |delta| or percent, by strike mode
    atm_from: str = "spot"
    stop: PremiumLevel | None = None
    target: PremiumLevel | None = None
    trailing: PremiumLevel | None = None
    reentries: int = 0  # per day, after this leg's own stop/target/trailing exit
    reentry: str = "immediate"
    trail_after: PremiumLevel | None = None
    cost_after: PremiumLevel | None = None

    @property
    def position(self) -> str:
        return "buy" if self.side > 0 else "sell"


def leg_spec(node_id: str, params: dict[str, Any]) -> LegSpec:
    """The spec of a validated ``option_leg`` node."""
    mode = params.get("strike", "ATM")
    value_key = STRIKE_VALUE_MODES.get(mode)
    return LegSpec(
        node=node_id,
        side=1 if params["position"] == "buy" else -1,
        right=params["option_type"],
        lots=int(params.get("lots", 1)),
        underlying=params.get("underlying"),
        expiry=EXPIRY_ALIASES.get(params.get("expiry", "current_week"), params["expiry"])
        if "expiry" in params
        else "current_week",
        strike=mode,
        offset=int(params.get("offset") or 0),
        value=float(params[value_key]) if value_key else None,
        atm_from=params.get("atm_from", "spot"),
        stop=_level(params.get("stop")),
        target=_level(params.get("target")),
        trailing=_level(params.get("trailing")),
        reentries=int(params.get("reentries", 0)),
        reentry=params.get("reentry", "immediate"),
        trail_after=_level(params.get("trail_after")),
        cost_after=_level(params.get("cost_after")),
    )


def with_defaults(spec: LegSpec, **levels: PremiumLevel | None) -> LegSpec:
    """The spec with strategy-wide premium levels where the leg sets none of its own."""
    from dataclasses import replace

    fill = {k: v for k, v in levels.items() if v is not None and getattr(spec, k) is None}
    return replace(spec, **fill) if fill else spec


def _level(raw: Any) -> PremiumLevel | None:
    if raw is None:
        return None
    if isinstance(raw, PremiumLevel):
        return raw
    return PremiumLevel(float(raw["value"]), raw.get("unit", "points"))
