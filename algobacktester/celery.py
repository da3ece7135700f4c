"""The Celery app: connection and reliability settings come from Django settings under
``CELERY_``; queues, routes, time limits and the beat schedule from ``workers/`` (so
settings import no app code); every task logs with the request id that caused it."""

from __future__ import annotations

import gc
import os

from celery import Celery, signals
from kombu import Queue

from workers import routing
from workers.schedule import BEAT_SCHEDULE, reap_on_worker_start

from . import logs
from .settings.env import env_bool
from .startup import embedded_files_ensure

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "algobacktester.settings.base")

app = Celery("algobacktester")
# Before the first read of settings: a worker or beat needs var/ and the embedded key too.
app.on_configure.connect(lambda **_: embedded_files_ensure(), weak=False)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_default_queue=routing.DEFAULT_QUEUE,
    task_queues=tuple(Queue(name) for name in routing.QUEUES),
    task_routes=routing.task_routes(),
    task_annotations=(routing.TimeLimitAnnotations(),),
    broker_transport_options={"visibility_timeout": routing.VISIBILITY_TIMEOUT},
    result_backend_transport_options={"visibility_timeout": routing.VISIBILITY_TIMEOUT},
    beat_schedule=BEAT_SCHEDULE,
)
app.autodiscover_tasks()

signals.before_task_publish.connect(logs.task_headers_stamp, weak=False)
signals.task_prerun.connect(logs.task_context_bind, weak=False)
signals.task_postrun.connect(logs.task_context_reset, weak=False)
signals.worker_ready.connect(reap_on_worker_start, weak=False)


def engine_warm_on_start(**_: object) -> None:
    """Load (or, on an empty cache, compile) every engine kernel before the pool forks, so no
    user's first backtest on a new worker waits for numba. ``worker_init`` runs in the main
    process; ``worker_process_init`` would run per child under a 4 s limit."""
    if not env_bool("ENGINE_WARM_ON_START", True):
        return
    from engine.warm import warm_up

    warm_up()


def gc_freeze_on_start(**_: object) -> None:
    """Move everything loaded so far (Django, numba, pandas: ~250,000 objects) out of the
    garbage collector's reach, after the warm-up and before the pool forks. Otherwise each
    full collection walks them all again: a run allocates enough to set one off every few
    runs, ~100-800 ms each on a busy machine (measured with gc.callbacks). Frozen objects are
    still freed by reference counting; only cycles among them would be kept."""
    gc.freeze()


signals.worker_init.connect(engine_warm_on_start, weak=False)
signals.worker_init.connect(gc_freeze_on_start, weak=False)  # after the warm-up
