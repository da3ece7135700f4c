"""Reads of live sessions, always scoped to the acting user."""

from __future__ import annotations

from django.db.models import QuerySet

from algobacktester.accounts.models import User
from algobacktester.errors import NotFound
from trades.models import Order

from .models import LiveSession, SessionEvent


def session_list(*, user: User, status: str | None = None) -> QuerySet[LiveSession]:
    qs = LiveSession.objects.filter(owner=user).select_related(
        "strategy_version", "instrument", "account"
    )
    return qs.filter(status=status) if status else qs


def session_get(*, user: User, session_id: int) -> LiveSession:
    session = session_list(user=user).filter(pk=session_id).first()
    if session is None:  # another user's session is as absent as a missing one
        raise NotFound({"session": [f"you have no live session {session_id}"]})
    return session


def session_events(*, session: LiveSession, kind: str | None = None) -> QuerySet[SessionEvent]:
    qs = SessionEvent.objects.filter(session=session).order_by("-id")
    return qs.filter(kind=kind) if kind else qs


def session_orders(*, session: LiveSession) -> QuerySet[Order]:
    return (
        Order.objects.filter(owner=session.owner_id, pk__in=session.intents.values("order_id"))
        .select_related("instrument")
        .order_by("created_at", "id")
    )
