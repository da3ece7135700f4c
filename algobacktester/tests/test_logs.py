"""Structured logs: request ids in and out, task context, and secrets never rendered."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient
from structlog.contextvars import bound_contextvars, get_contextvars

from algobacktester import logs
from algobacktester.celery import app

CANARY = "canary-7f3a9e-s3cr3t"


@pytest.fixture
def rendered() -> Iterator[io.StringIO]:
    """Lines of the root logger as production renders them (JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(json=True))
    root = logging.getLogger()
    root.addHandler(handler)
    level, root.level = root.level, logging.INFO
    yield stream
    root.removeHandler(handler)
    root.level = level


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_log_lines_carry_the_bound_ids(rendered: io.StringIO) -> None:
    with bound_contextvars(request_id="req-1", user_id=7, run_id=42):
        logging.getLogger("backtests.services").info("run %s stored", 42)
    [line] = lines(rendered)
    assert line["event"] == "run 42 stored" and line["level"] == "info"
    assert (line["request_id"], line["user_id"], line["run_id"]) == ("req-1", 7, 42)
    assert line["logger"] == "backtests.services" and "timestamp" in line


def test_structlog_loggers_render_through_the_same_pipeline(rendered: io.StringIO) -> None:
    import structlog

    with bound_contextvars(request_id="req-2"):
        structlog.get_logger("marketdata").warning("fetch.slow", seconds=3)
    [line] = lines(rendered)
    assert (line["event"], line["seconds"], line["request_id"]) == ("fetch.slow", 3, "req-2")


@pytest.mark.parametrize(
    "emit",
    [
        lambda log: log.info("login", extra={"password": CANARY}),
        lambda log: log.info("call", extra={"headers": {"Authorization": f"Bearer {CANARY}"}}),
        lambda log: log.info("dhan", extra={"config": {"access_token": CANARY, "client_id": 1}}),
        lambda log: log.info("url was https://x.test/?api_key=%s&a=1", CANARY),
        lambda log: log.info('body {"secret": "%s"}', CANARY),
        lambda log: log.info("header Authorization: Bearer %s", CANARY),
        lambda log: log.info("sendgrid", extra={"api_key": CANARY, "token": [CANARY]}),
    ],
)
def test_secrets_never_reach_the_log(rendered: io.StringIO, emit) -> None:
    emit(logging.getLogger("providers"))
    text = rendered.getvalue()
    assert text and CANARY not in text
    assert logs.REDACTED in text


def test_an_exception_message_is_redacted_too(rendered: io.StringIO) -> None:
    try:
        raise RuntimeError(f"provider said token={CANARY}")
    except RuntimeError:
        logging.getLogger("providers").exception("send failed")
    assert CANARY not in rendered.getvalue() and "RuntimeError" in rendered.getvalue()


def test_the_console_renderer_redacts_as_well() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.formatter(json=False))
    log = logging.getLogger("console-probe")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("login", extra={"password": CANARY})
    finally:
        log.removeHandler(handler)
        log.propagate = True
    assert "login" in stream.getvalue() and CANARY not in stream.getvalue()


@pytest.mark.django_db
def test_a_request_id_is_generated_and_returned(api_client: APIClient) -> None:
    response = api_client.get("/api/health")
    assert len(response["X-Request-ID"]) == 32
    other = api_client.get("/api/health")
    assert other["X-Request-ID"] != response["X-Request-ID"]


@pytest.mark.django_db
def test_a_client_request_id_is_kept_and_a_hostile_one_replaced(api_client: APIClient) -> None:
    kept = api_client.get("/api/health", HTTP_X_REQUEST_ID="trace-abc.123")
    assert kept["X-Request-ID"] == "trace-abc.123"
    hostile = api_client.get("/api/health", HTTP_X_REQUEST_ID="bad id\nforged=1")
    assert hostile["X-Request-ID"] != "bad id\nforged=1" and "\n" not in hostile["X-Request-ID"]


@pytest.mark.django_db
def test_a_request_logs_with_its_id_and_user(
    auth_client: APIClient, user, rendered: io.StringIO
) -> None:
    response = auth_client.get("/api/strategies/424242", HTTP_X_REQUEST_ID="req-me")
    assert response.status_code == 404
    [line] = [x for x in lines(rendered) if x["logger"] == "django.request"]
    assert (line["request_id"], line["user_id"]) == ("req-me", user.pk)
    assert "message" not in line  # the text is in "event" once


def test_a_task_binds_its_id_arguments_and_restores_the_callers_context() -> None:
    @app.task(name="backtests.tasks.log_probe", shared=False)
    def probe(run_id: int, note: str = "") -> dict:
        return dict(get_contextvars())

    with bound_contextvars(request_id="req-9"):
        seen = probe.apply(args=(42,), kwargs={"note": "x"}).get()
        after = dict(get_contextvars())
    assert seen["run_id"] == 42 and seen["request_id"] == "req-9"
    assert seen["task"] == "backtests.tasks.log_probe" and "note" not in seen
    assert after == {"request_id": "req-9"}


def test_a_published_task_carries_the_request_id_in_its_headers() -> None:
    headers: dict = {}
    with bound_contextvars(request_id="req-5"):
        logs.task_headers_stamp(headers=headers)
    assert headers == {"request_id": "req-5"}
    logs.task_headers_stamp(headers=(untouched := {}))  # no request: nothing to carry
    assert untouched == {}


def test_a_record_another_handler_formatted_first_keeps_its_text_once() -> None:
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", ("/x",), None
    )
    record.message = record.getMessage()  # what logging.Formatter.format leaves behind
    line = json.loads(logs.formatter(json=True).format(record))
    assert line["event"] == "Not Found: /x" and "message" not in line
