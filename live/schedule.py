"""Schedules: a session that starts itself before the open on trading days and stops after
the square-off, by the exchange calendar (holidays skipped; a Muhurat session only when the
schedule asks for it, at the calendar's hours).

``schedule`` on a session: ``{"start": "09:05", "stop": "15:35", "muhurat": false}``, IST.
``start`` is before the regular 09:15 open, ``stop`` after the session's square-off. On a day
whose session keeps other hours (a Muhurat evening, a special session) the times move with the
session: ``start`` as long before its open, ``stop`` as long after its close, as on a regular
day. The beat entry ``live-schedules`` runs :func:`schedules_tick` every minute; a tick
delivered twice starts a session once (the day is claimed with one conditional UPDATE).
docs/live.md "Schedules".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from algobacktester.errors import ApplicationError, InvalidInput
from engine.markets.calendar import IST
from engine.markets.calendar import session as market_session

from . import notify
from .models import ACTIVE_STATUSES, LiveSession

logger = logging.getLogger(__name__)
Status = LiveSession.Status
REGULAR_OPEN, REGULAR_CLOSE = time(9, 15), time(15, 30)
DEFAULT_SQUARE_OFF = time(15, 25)  # the engine's forced intraday square-off when none is set
FIELDS = ("start", "stop", "muhurat")


# --- validation -----------------------------------------------------------------------------
def schedule_checked(schedule: dict[str, Any] | None, *, square_off: str | None) -> dict[str, Any]:
    """The stored form of a session's schedule; a 400 names ``schedule.<field>``."""
    if not schedule:
        return {}
    if not isinstance(schedule, dict):
        raise InvalidInput({"schedule": ["an object: start, stop (IST HH:MM), muhurat"]})
    unknown = sorted(set(schedule) - set(FIELDS))
    if unknown:
        raise InvalidInput({f"schedule.{unknown[0]}": ["unknown field"]})
    start = _hhmm(schedule.get("start", "09:05"), "schedule.start")
    stop = _hhmm(schedule.get("stop", "15:35"), "schedule.stop")
    if start >= REGULAR_OPEN:
        raise InvalidInput({"schedule.start": ["must be before the 09:15 open (IST)"]})
    if start < time(6, 0):
        raise InvalidInput({"schedule.start": ["at most 3 h 15 min before the open (06:00)"]})
    off = _hhmm(square_off, "risk_overrides.square_off") if square_off else DEFAULT_SQUARE_OFF
    if stop <= off:
        raise InvalidInput(
            {"schedule.stop": [f"must be after the square-off at {off:%H:%M} (IST)"]}
        )
    if stop > time(23, 0):
        raise InvalidInput({"schedule.stop": ["at most 23:00 (IST)"]})
    muhurat = schedule.get("muhurat", False)
    if not isinstance(muhurat, bool):
        raise InvalidInput({"schedule.muhurat": ["true or false"]})
    return {"start": f"{start:%H:%M}", "stop": f"{stop:%H:%M}", "muhurat": muhurat}


def _hhmm(value: Any, field: str) -> time:
    try:
        hh, mm = str(value).split(":")
        if len(hh) != 2 or len(mm) != 2:
            raise ValueError
        return time(int(hh), int(mm))
    except ValueError as exc:
        raise InvalidInput({field: ["a time of day, HH:MM (IST)"]}) from exc


# --- the day's window -------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Window:
    day: date
    start: datetime  # aware, IST
    stop: datetime
    kind: str  # the calendar's session kind: regular, special, muhurat


def window(schedule: dict[str, Any], day: date) -> Window | None:
    """When the session runs on ``day``, or None: a holiday, a weekend, a disaster-recovery
    drill, or a Muhurat session the schedule does not take."""
    s = market_session(day)
    if s is None or (not s.full and not (s.kind == "muhurat" and schedule.get("muhurat"))):
        return None
    lead = _minutes(REGULAR_OPEN) - _minutes(_hhmm(schedule["start"], "schedule.start"))
    tail = _minutes(_hhmm(schedule["stop"], "schedule.stop")) - _minutes(REGULAR_CLOSE)
    opens = datetime.combine(day, s.open, tzinfo=IST)
    closes = datetime.combine(day, s.close, tzinfo=IST)
    return Window(day, opens - timedelta(minutes=lead), closes + timedelta(minutes=tail), s.kind)


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# --- the beat tick ---------------------------------------------------------------------------
def schedules_tick(*, now: datetime | None = None) -> dict[str, int]:
    """Start the scheduled sessions whose window is open and stop those whose closed.
    Safe to run twice for one minute: each start claims the day first."""
    now = (now or timezone.now()).astimezone(IST)
    done = {"started": 0, "stopped": 0}
    sessions = LiveSession.objects.exclude(schedule={}).exclude(status=Status.HALTED)
    for session in sessions.select_related("strategy_version", "instrument", "account"):
        win = window(session.schedule, now.date())
        inside = win is not None and win.start <= now < win.stop
        if inside and session.status in (Status.DRAFT, Status.STOPPED):
            done["started"] += _start(session, now.date())
        elif not inside and session.status in ACTIVE_STATUSES and _due_stop(session, win, now):
            done["stopped"] += _stop(session)
    return done


def _due_stop(session: LiveSession, win: Window | None, now: datetime) -> bool:
    """Past today's stop, or still running from an earlier scheduled day (a missed tick)."""
    started = session.schedule_day
    if started is None:
        return win is not None and now >= win.stop  # started by hand: stopped after the close
    return started < now.date() or (win is not None and now >= win.stop)


def _start(session: LiveSession, day: date) -> int:
    from .services import _announce, _event, session_start

    claimed = (
        LiveSession.objects.filter(pk=session.pk, status=session.status)
        .filter(Q(schedule_day__isnull=True) | Q(schedule_day__lt=day))
        .update(schedule_day=day, day_pnl=0.0)  # the day's counters start at the open
    )
    if not claimed:
        return 0  # another tick (or a duplicate delivery) took this day
    session.refresh_from_db()
    try:
        session_start(session=session)
    except ApplicationError as exc:
        with transaction.atomic():
            _event(session, "guardrail", f"scheduled start refused: {exc}"[:300])
            notify.guardrail_notify(
                session,
                kind="schedule",
                key=f"{session.pk}:{day.isoformat()}",
                message=f"The scheduled start of {notify.label(session)} on {day:%d %b %Y} "
                f"was refused: {exc}",
            )
        _announce(session)
        return 0
    _event(session, "state", f"scheduled start for {day.isoformat()}")
    return 1


def _stop(session: LiveSession) -> int:
    from .services import _event, session_stop

    try:
        session_stop(session=session)
    except ApplicationError:
        return 0  # stopped meanwhile (a user, another tick)
    _event(session, "state", "scheduled stop after the square-off")
    return 1
