"""Market-condition rules: a strategy-language condition graph on an instrument and a
timeframe, evaluated on each candle close; the rule fires when the graph's ``entry``
node fires on the latest closed bar, once per bar (the dedupe key holds the bar time).

The engine (``engine.graph``) compiles and evaluates the graph; candles come from
``marketdata.selectors.candles_load``. Both are imported lazily so this app still
loads while those modules change.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from algobacktester.rounding import to_step

from ..constants import FRESH_SLACK_SECONDS, MARKET_CONDITION
from ..models import AlertRule
from ..timeutil import ist, within_hours
from .deliveries import deliveries_create

DEFAULT_TICK = "0.05"
logger = logging.getLogger(__name__)
BarsLoader = Callable[..., Any]  # (instrument symbol, timeframe, start, end) -> engine Bars
NS = 1_000_000_000


def condition_compile(doc: Any) -> tuple[str | None, list[str]]:
    """(timeframe, problems) for a condition graph; problems name the node and field."""
    from engine.graph import GraphValidationError, compile_graph

    try:
        graph = compile_graph(doc)
    except GraphValidationError as exc:
        return None, [_graph_error(e) for e in exc.errors][:20]
    nodes = doc.get("nodes", []) if isinstance(doc, dict) else []
    if not any(isinstance(n, dict) and n.get("kind") == "entry" for n in nodes):
        return None, ["needs an 'entry' node: the rule fires when it fires"]
    return graph.timeframe, []


def _graph_error(e: dict[str, Any]) -> str:
    where = f"node '{e['node']}' " if e.get("node") else ""
    return f"{where}{e.get('field')}: {e.get('message')}"


def instrument_check(*, symbol: str) -> str | None:
    """A problem with the symbol, or None. Unverifiable (no market-data tables) passes."""
    try:
        from marketdata.models import Instrument
    except ImportError:
        return None
    try:
        with transaction.atomic():  # a missing table must not poison the outer transaction
            found = Instrument.objects.filter(symbol=symbol, is_active=True).exists()
    except DatabaseError:
        return None
    return None if found else f"no active instrument with symbol '{symbol}'"


def candles_load(*, symbol: str, timeframe: str, start: datetime, end: datetime) -> Any:
    """Bars from market data (``marketdata.selectors.candles_load``)."""
    from marketdata.selectors import candles_load as load

    instrument = _instrument(symbol)
    if instrument is None:
        raise LookupError(f"no active instrument with symbol '{symbol}'")
    return load(instrument=instrument, timeframe=timeframe, start=start, end=end)


def _instrument(symbol: str) -> Any:
    """The index itself, on NSE, before any same-named contract or BSE listing."""
    from django.db.models import Case, When

    from marketdata.models import Instrument

    return (
        Instrument.objects.filter(symbol=symbol, is_active=True)
        .order_by(
            Case(When(kind="index", then=0), default=1),
            Case(When(exchange="NSE", then=0), default=1),
            "pk",
        )
        .first()
    )


def _tick(symbol: str) -> Any:
    """The instrument's tick, to show its price as the exchange quotes it; 0.05 (every
    Indian index and its derivatives) when it cannot be read."""
    try:
        with transaction.atomic():  # a missing table must not poison the outer transaction
            instrument = _instrument(symbol)
    except DatabaseError:
        instrument = None
    return instrument.tick_size if instrument is not None else DEFAULT_TICK


def market_rules_evaluate(*, now: datetime | None = None, loader: BarsLoader | None = None) -> int:
    """Evaluate every active market rule on its latest closed bar; returns rules fired.

    Rules sharing an instrument and timeframe share one candle load."""
    now = now or timezone.now()
    load = loader or candles_load
    groups: dict[tuple[str, str], list[AlertRule]] = defaultdict(list)
    rules = AlertRule.objects.filter(
        kind=AlertRule.Kind.MARKET, is_active=True, owner__is_active=True
    ).select_related("owner")
    for rule in rules:
        groups[(rule.instrument, rule.timeframe)].append(rule)
    fired = 0
    for (symbol, timeframe), group in groups.items():
        try:
            bars, index = _latest_closed(load, symbol=symbol, timeframe=timeframe, now=now)
        except Exception as exc:  # one broken instrument must not stop the others
            logger.warning("market rules on %s %s: candles unavailable: %s", symbol, timeframe, exc)
            _record_error(group, f"candles unavailable: {exc}")
            continue
        if bars is None:
            continue
        for rule in group:
            fired += _rule_evaluate(rule, bars=bars, index=index, now=now)
    return fired


def _latest_closed(
    load: BarsLoader, *, symbol: str, timeframe: str, now: datetime
) -> tuple[Any, int]:
    """Bars up to the latest bar closed by ``now``; (None, -1) when none is fresh."""
    from engine.graph.schema import timeframe_minutes

    minutes = timeframe_minutes(timeframe) or 1
    lookback = settings.NOTIFICATIONS["MARKET_LOOKBACK_BARS"]
    # Sessions fill about a quarter of the clock; four times the span covers the warm-up.
    start = now - timedelta(minutes=minutes * lookback * 4)
    bars = load(symbol=symbol, timeframe=timeframe, start=start, end=now)
    now_ns = int(now.timestamp() * NS)
    closed = [i for i in range(len(bars)) if int(bars.ts[i]) + minutes * 60 * NS <= now_ns]
    if not closed:
        return None, -1
    index = closed[-1]
    # A bar that closed long ago (data lag, market shut) is not news: do not alert on it.
    if (
        now_ns - (int(bars.ts[index]) + minutes * 60 * NS)
        > (minutes * 60 + FRESH_SLACK_SECONDS) * NS
    ):
        return None, -1
    first = max(0, index + 1 - lookback)
    return bars.slice(first, index + 1), index - first


def _rule_evaluate(rule: AlertRule, *, bars: Any, index: int, now: datetime) -> int:
    from engine.graph import compile_graph

    try:
        signals = compile_graph(rule.condition).evaluate(bars)
    except Exception as exc:  # an engine change broke this rule's graph: say so on the rule
        _record_error([rule], f"condition could not be evaluated: {exc}")
        return 0
    if not (bool(signals.entry_long[index]) or bool(signals.entry_short[index])):
        return 0
    bar_at = datetime.fromtimestamp(int(bars.ts[index]) / NS, tz=UTC)
    if not within_hours(start=rule.active_from, end=rule.active_to, now=now):
        return 0
    # Once per bar, even when two evaluations of the same minute overlap.
    if not AlertRule.objects.filter(
        Q(last_bar_at__isnull=True) | ~Q(last_bar_at=bar_at), pk=rule.pk
    ).update(last_bar_at=bar_at, last_error=""):
        return 0
    from .events import rule_cooldown_take

    if not rule_cooldown_take(rule=rule, now=now):
        return 0
    close = float(bars.close[index])
    shown = to_step(close, _tick(rule.instrument))
    local = bar_at.astimezone(ist()).strftime("%Y-%m-%d %H:%M IST")
    deliveries_create(
        user=rule.owner,
        channels=dict.fromkeys(rule.channels, rule),
        event_type=MARKET_CONDITION,
        dedupe_key=f"rule:{rule.pk}:bar:{bar_at.isoformat()}",
        subject=f"{rule.name}: {rule.instrument} {rule.timeframe}",
        body=f"{rule.name}: condition met on {rule.instrument} {rule.timeframe} bar of {local}, close {shown}.",
        data={
            "rule_id": rule.pk,
            "instrument": rule.instrument,
            "timeframe": rule.timeframe,
            "bar_start": bar_at.isoformat(),
            "close": close,
        },
    )
    return 1


def _record_error(rules: list[AlertRule], message: str) -> None:
    AlertRule.objects.filter(pk__in=[r.pk for r in rules]).update(last_error=message[:500])
