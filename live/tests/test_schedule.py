"""Schedules: calendar-aware windows, an idempotent beat tick, 4xx naming the field."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.db import transaction

from algobacktester import bus
from engine.markets.calendar import IST
from live import services
from live.models import LiveSession
from live.schedule import schedules_tick, window
from live.tests.conftest import store_bars, strategy_of, synthetic_bars
from notifications.models import Delivery

pytestmark = pytest.mark.django_db

URL = "/api/live/sessions"
SCHEDULE = {"start": "09:05", "stop": "15:35"}


def at(day: str, hhmm: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(hhmm), tzinfo=IST)


@pytest.fixture
def body(auth_client, nifty, paper):
    with transaction.atomic():
        store_bars(nifty, synthetic_bars(days=1))
    strategy = strategy_of(auth_client.user, "opening_range_breakout")
    return {
        "strategy": strategy.pk,
        "account": paper.pk,
        "instrument": "NIFTY",
        "replay": {"start": "2024-01-01", "speed": 0},
        "schedule": SCHEDULE,
    }


@pytest.fixture
def scheduled(auth_client, body):
    r = auth_client.post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["schedule"] == {**SCHEDULE, "muhurat": False}
    return LiveSession.objects.get(pk=r.json()["id"])


@pytest.mark.parametrize(
    ("schedule", "field"),
    [
        ({"start": "09:15"}, "schedule.start"),
        ({"start": "9:05"}, "schedule.start"),
        ({"start": "05:00"}, "schedule.start"),
        ({"stop": "15:25"}, "schedule.stop"),
        ({"stop": "23:30"}, "schedule.stop"),
        ({"stop": "25:00"}, "schedule.stop"),
        ({"muhurat": "yes"}, "schedule.muhurat"),
        ({"days": "trading"}, "schedule.days"),
    ],
)
def test_bad_schedules_are_a_400_naming_the_field(auth_client, body, schedule, field):
    r = auth_client.post(URL, {**body, "schedule": schedule}, format="json")
    assert r.status_code == 400, r.json()
    assert r.json()["errors"][0]["field"] == field, r.json()


def test_the_stop_follows_an_overridden_square_off(auth_client, body):
    body = {**body, "risk_overrides": {"square_off": "15:00"}, "schedule": {"stop": "15:10"}}
    r = auth_client.post(URL, body, format="json")
    assert r.status_code == 201, r.json()
    assert r.json()["schedule"]["stop"] == "15:10"


def test_windows_follow_the_calendar():
    regular = window(SCHEDULE, date(2024, 1, 1))
    assert (regular.start, regular.stop) == (at("2024-01-01", "09:05"), at("2024-01-01", "15:35"))
    assert window(SCHEDULE, date(2024, 1, 26)) is None  # Republic Day
    assert window(SCHEDULE, date(2024, 1, 27)) is None  # a Saturday
    assert window(SCHEDULE, date(2024, 3, 2)) is None  # a disaster-recovery drill
    special = window(SCHEDULE, date(2024, 1, 20))  # the full Saturday session
    assert special is not None and special.start == at("2024-01-20", "09:05")
    assert window(SCHEDULE, date(2024, 11, 1)) is None  # Muhurat: only when asked for
    muhurat = window({**SCHEDULE, "muhurat": True}, date(2024, 11, 1))
    # 18:00-19:00 IST that evening: ten minutes before its open, five after its close
    assert (muhurat.start, muhurat.stop) == (at("2024-11-01", "17:50"), at("2024-11-01", "19:05"))


def test_a_tick_starts_once_a_day_and_stops_after_the_square_off(scheduled):
    assert schedules_tick(now=at("2024-01-01", "08:59")) == {"started": 0, "stopped": 0}
    assert schedules_tick(now=at("2024-01-01", "09:05"))["started"] == 1
    scheduled.refresh_from_db()
    assert scheduled.status == "running" and scheduled.schedule_day == date(2024, 1, 1)
    # the same tick delivered twice, and a user's stop and the next minute: one start a day
    assert schedules_tick(now=at("2024-01-01", "09:05"))["started"] == 0
    services.session_stop(session=scheduled)
    assert schedules_tick(now=at("2024-01-01", "09:06"))["started"] == 0
    services.session_start(session=LiveSession.objects.get(pk=scheduled.pk))
    assert schedules_tick(now=at("2024-01-01", "15:34"))["stopped"] == 0
    assert schedules_tick(now=at("2024-01-01", "15:35"))["stopped"] == 1
    assert LiveSession.objects.get(pk=scheduled.pk).status == "stopped"
    assert schedules_tick(now=at("2024-01-01", "15:36")) == {"started": 0, "stopped": 0}
    assert schedules_tick(now=at("2024-01-02", "09:10"))["started"] == 1  # the next day
    messages = list(scheduled.events.values_list("message", flat=True))
    assert messages.count("scheduled start for 2024-01-01") == 1
    assert "scheduled start for 2024-01-02" in messages


def test_holidays_are_skipped_and_a_missed_stop_is_caught_up(scheduled):
    assert schedules_tick(now=at("2024-01-25", "09:10"))["started"] == 1  # Thursday
    # beat was down over the close; the next tick, on a holiday, still stops it
    assert schedules_tick(now=at("2024-01-26", "09:10")) == {"started": 0, "stopped": 1}
    assert schedules_tick(now=at("2024-01-26", "10:00")) == {"started": 0, "stopped": 0}


def test_a_refused_scheduled_start_is_logged_and_alerted(auth_client, body, scheduled):
    other = auth_client.post(URL, {**body, "schedule": {}}, format="json").json()
    auth_client.post(f"{URL}/{other['id']}/start")  # takes the same slot
    seen = []
    bus.subscribe("live.guardrail", seen.append)
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(transaction, "on_commit", lambda fn, **kw: fn())
            assert schedules_tick(now=at("2024-01-01", "09:05"))["started"] == 0
    finally:
        bus.unsubscribe("live.guardrail", seen.append)
    scheduled.refresh_from_db()
    assert scheduled.status == "draft"
    assert scheduled.events.filter(message__startswith="scheduled start refused").exists()
    assert seen and "was refused" in seen[0].data["message"]
    assert schedules_tick(now=at("2024-01-01", "09:06"))["started"] == 0  # not every minute
    assert Delivery.objects.filter(event_type="live.guardrail").count() <= 1
