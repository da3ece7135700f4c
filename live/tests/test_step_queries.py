"""A step's database work is bounded: the figures of bench/bench_live.py rest on it.

A plain bar (no signal, no order) is three statements: lock the session row, insert the step,
update the session's changed columns. The runner is this worker's cached one, the session's
strategy version, instrument and account are read once, and a session whose orders are all
settled and matched is not reconciled again until it places another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from live import services
from live.models import LiveSession, SessionStep
from live.tests.conftest import start_session, store_day

pytestmark = pytest.mark.django_db

PLAIN_STEP = 3
SIGNAL_STEP = 60  # an order through the trades layer (gate, audit, paper fill) included


def _row(bars, i):
    return [int(bars.ts[i]), *(float(a[i]) for a in (bars.open, bars.high, bars.low, bars.close))]


def _statements(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def test_a_plain_step_is_three_statements(user, nifty, paper, django_capture_on_commit_callbacks):
    bars = store_day(nifty)  # the breakout enters on bar 127
    session = start_session(user, nifty, paper)
    counts = []
    for i in range(140):
        with (
            django_capture_on_commit_callbacks(execute=True),
            CaptureQueriesContext(connection) as ctx,
        ):
            out = services.step_execute(
                session_id=session.pk, bar=[*_row(bars, i), 0.0], next_ts=int(bars.ts[i + 1])
            )
        assert out == "done"
        counts.append(len(_statements(ctx)))
    session.refresh_from_db()
    assert session.status == LiveSession.Status.RUNNING and session.position > 0
    signals = set(
        session.events.filter(kind__in=("signal", "order")).values_list("bar_ts", flat=True)
    )
    steps = SessionStep.objects.filter(session=session).order_by("seq")
    plain = {
        k: n
        for k, (n, s) in enumerate(zip(counts, steps, strict=True))
        if k and s.bar_ts not in signals
    }
    assert len(plain) > 100
    over = {k: n for k, n in plain.items() if n > PLAIN_STEP}
    assert over == {128: PLAIN_STEP + 1}, over  # the bar after the entry reconciles it once
    assert max(counts) <= SIGNAL_STEP, max(counts)
