from __future__ import annotations

import pytest

from algobacktester.celery import app
from workers import routing


@pytest.mark.parametrize(
    ("task", "queue"),
    [
        ("backtests.tasks.backtest_execute_task", "backtests"),
        ("marketdata.tasks.candles_ingest_task", "marketdata"),
        ("live.tasks.session_step_task", "live"),
        ("notifications.tasks.delivery_send_task", "notifications"),
        ("workers.tasks.anything", "default"),
    ],
)
def test_tasks_route_to_their_family_queue(task: str, queue: str) -> None:
    route = app.amqp.router.route({}, task)
    assert route["queue"].name == queue


def test_every_family_queue_is_declared() -> None:
    declared = {q.name for q in app.conf.task_queues}
    assert declared == {"backtests", "marketdata", "live", "notifications", "default"}


def test_visibility_timeout_outlasts_the_longest_hard_limit() -> None:
    longest = max(limit.hard for limit in routing.FAMILIES.values())
    assert app.conf.broker_transport_options["visibility_timeout"] > longest


def test_reliability_settings() -> None:
    conf = app.conf
    assert conf.task_acks_late and conf.task_reject_on_worker_lost
    assert conf.task_serializer == "json" and conf.accept_content == ["json"]
    assert conf.worker_prefetch_multiplier == 1


def test_time_limits_follow_the_family() -> None:
    @app.task(name="backtests.tasks.limits_probe", shared=False)
    def probe() -> None: ...

    annotations = routing.TimeLimitAnnotations().annotate(probe)
    assert annotations == {"soft_time_limit": 540, "time_limit": 600}
    assert routing.TimeLimitAnnotations().annotate(type("T", (), {"name": "x.y"})()) == {
        "soft_time_limit": 50,
        "time_limit": 60,
    }


def test_a_worker_warms_the_engine_before_its_pool_forks(monkeypatch) -> None:
    from celery import signals

    from algobacktester import celery as celery_app

    # Connected with weak=False, so the receiver list holds the function itself.
    assert celery_app.engine_warm_on_start in [r[1] for r in signals.worker_init.receivers]
    names = [getattr(r[1], "__name__", "") for r in signals.worker_init.receivers]
    assert names.index("gc_freeze_on_start") > names.index("engine_warm_on_start")
    calls: list[str] = []
    monkeypatch.setattr("engine.warm.warm_up", lambda: calls.append("warm"))
    monkeypatch.setenv("ENGINE_WARM_ON_START", "true")
    celery_app.engine_warm_on_start()
    monkeypatch.setenv("ENGINE_WARM_ON_START", "false")
    celery_app.engine_warm_on_start()
    assert calls == ["warm"]
