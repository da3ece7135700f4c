"""The test helpers themselves: a reset reaches every thread's Celery result backend."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from algobacktester.celery import app
from workers.testing import reset_producer_pool


@pytest.mark.django_db
async def test_reset_drops_the_result_backend_cached_in_other_threads() -> None:
    # Async tests call Celery from asgiref's executor thread; a backend cached there by an
    # earlier (eager) test made ``result.get`` of the services tests wait on the wrong store.
    stale = await sync_to_async(lambda: app.backend)()
    reset_producer_pool()
    assert await sync_to_async(lambda: app.backend)() is not stale
