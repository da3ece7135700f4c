"""``GET /api/health``: is the database, the broker and the channel layer reachable?"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

TIMEOUT = 2.0
logger = logging.getLogger(__name__)


def check_database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"mode": "eager"}
    from .celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=TIMEOUT)
    return {"mode": "broker", "transport": app.conf.broker_url.split("://", 1)[0]}


def check_channel_layer() -> dict[str, Any]:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(_round_trip)(layer)
    return {"backend": type(layer).__name__}


async def _round_trip(layer: Any) -> None:
    channel = await layer.new_channel("health.")
    marker = uuid.uuid4().hex
    await layer.send(channel, {"type": "health.ping", "marker": marker})
    message = await asyncio.wait_for(layer.receive(channel), timeout=TIMEOUT)
    if message.get("marker") != marker:
        raise RuntimeError("channel layer returned a foreign message")


CHECKS: dict[str, Callable[[], dict[str, Any]]] = {
    "database": check_database,
    "broker": check_broker,
    "channel_layer": check_channel_layer,
}


def _reason(exc: Exception) -> str:
    """The error's type, and its text (hosts, ports) only where DEBUG is on: this endpoint is
    public, and production operators read the full reason in the logs."""
    if settings.DEBUG:
        return f"{type(exc).__name__}: {exc}"[:300]
    logger.warning("health check failed", exc_info=exc)
    return type(exc).__name__


def health_report() -> tuple[bool, dict[str, Any]]:
    components: dict[str, Any] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            components[name] = {"status": "up", **check()}
        except Exception as exc:  # any failure means "down", with the reason
            components[name] = {"status": "down", "error": _reason(exc)}
        components[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    down = [name for name, c in components.items() if c["status"] == "down"]
    return not down, {"status": "down" if down else "up", "down": down, "components": components}


HEALTH_SCHEMA = inline_serializer(
    "Health",
    {
        "status": serializers.CharField(),
        "down": serializers.ListField(child=serializers.CharField()),
        "components": serializers.DictField(),
    },
)


class HealthApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()

    @extend_schema(
        tags=["health"],
        auth=[],
        responses={
            (200, "application/json"): HEALTH_SCHEMA,
            (503, "application/json"): HEALTH_SCHEMA,
        },
    )
    def get(self, request: Request) -> Response:
        ok, body = health_report()
        return Response(body, status=200 if ok else 503)
