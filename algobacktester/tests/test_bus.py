"""The event bus: after commit only, dropped on rollback, subscribers isolated."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.db import transaction
from structlog.contextvars import bound_contextvars

from algobacktester import bus
from algobacktester.bus import STAFF, Event, emit, publish, subscribe

pytestmark = pytest.mark.django_db(transaction=True)  # real commits and rollbacks


@pytest.fixture
def heard() -> Iterator[list[Event]]:
    events: list[Event] = []
    subscribe("test.*", events.append)
    yield events
    bus.unsubscribe("test.*", events.append)


def test_an_event_is_published_only_after_commit(heard: list[Event]) -> None:
    with transaction.atomic():
        emit(Event(type="test.done", user_id=1, data={"id": 7}))
        assert heard == []
    assert [(e.type, e.data["id"]) for e in heard] == [("test.done", 7)]


def test_a_rollback_drops_the_event(heard: list[Event]) -> None:
    def failing_work() -> None:
        with transaction.atomic():
            emit(Event(type="test.done", user_id=1))
            raise RuntimeError("the work failed")

    with pytest.raises(RuntimeError):
        failing_work()
    assert heard == []


def test_outside_a_transaction_it_is_published_at_once(heard: list[Event]) -> None:
    emit(Event(type="test.now", audience=STAFF))
    assert [e.type for e in heard] == ["test.now"]


def test_a_failing_subscriber_fails_neither_the_emitter_nor_the_others(
    heard: list[Event], caplog: pytest.LogCaptureFixture
) -> None:
    def broken(event: Event) -> None:
        raise ValueError("subscriber bug")

    subscribe("test.*", broken)
    try:
        later: list[Event] = []
        subscribe("test.done", later.append)
        with caplog.at_level(logging.ERROR, logger="algobacktester.bus"), transaction.atomic():
            emit(Event(type="test.done", user_id=1))
        assert len(heard) == len(later) == 1
        assert "subscriber" in caplog.text and "test.done" in caplog.text
    finally:
        bus.unsubscribe("test.*", broken)
        bus.unsubscribe("test.done", later.append)


def test_patterns_match_event_types(heard: list[Event]) -> None:
    assert publish(Event(type="other.thing", user_id=1)) >= 0
    publish(Event(type="test.x", user_id=1))
    assert [e.type for e in heard] == ["test.x"]


def test_subscribing_twice_delivers_once(heard: list[Event]) -> None:
    subscribe("test.*", heard.append)
    publish(Event(type="test.x", user_id=1))
    assert len(heard) == 1


def test_an_event_names_one_recipient() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Event(type="test.x")
    with pytest.raises(ValueError, match="exactly one"):
        Event(type="test.x", user_id=1, audience=STAFF)


def test_the_event_carries_the_request_id_and_a_key() -> None:
    with bound_contextvars(request_id="req-123"):
        event = Event(type="test.x", user_id=1)
    assert event.correlation_id == "req-123"
    assert event.instance_key == event.id
    assert Event(type="test.x", user_id=1, key="run:4").instance_key == "run:4"


def test_apps_register_their_subscribers_in_ready() -> None:
    from algobacktester.events import ws_deliver
    from notifications.subscribers import event_deliveries_create

    registered = set(bus._subscribers)
    assert ("*", ws_deliver) in registered
    assert ("backtest.finished", event_deliveries_create) in registered
    assert ("ingestion.failed", event_deliveries_create) in registered
