"""Creating deliveries (once per event and channel) and sending one (once, with retries).

Exactly-once lives in the database, not in Celery (docs/adr/0004, 0006, 0008):
- ``Delivery(owner, channel, dedupe_key)`` is unique, so a repeated event adds nothing;
- a send starts with the shared lease's claim (``UPDATE … SET status='sending' WHERE
  status='queued'``, never a takeover); only the worker whose UPDATE matched a row sends,
  writes only while its attempt is current, and a ``sent`` row never goes back to queued;
- quotas are taken with ``UPDATE … SET count = count + 1 WHERE count < cap``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from workers.leases import Lease, lease_claim, lease_owned, lease_release, leases_reap

from ..channels import (
    DeliveryError,
    OutcomeUnknownError,
    OutgoingMessage,
    PermanentError,
    TransientError,
    backend_for,
)
from ..constants import QUOTA_CHANNELS, Channel, quota_reason
from ..crypto import secret_decrypt
from ..models import AlertRule, Delivery, QuotaUsage
from ..selectors import preferences_for
from ..timeutil import ist_today

logger = logging.getLogger(__name__)
Status = Delivery.Status


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What ``delivery_send`` did; ``retry_in`` (seconds) is set when the task should retry."""

    status: str
    retry_in: float | None = None


# --- creation --------------------------------------------------------------------------


def json_safe(data: Mapping[str, Any]) -> dict[str, Any]:
    """Decimals, datetimes and UUIDs from other apps become JSON values."""
    return json.loads(json.dumps(dict(data), cls=DjangoJSONEncoder))


def dedupe_key_for(*, event_type: str, key: str) -> str:
    full = f"{event_type}:{key}"
    if len(full) <= 200:
        return full
    return f"{event_type}:sha256:{hashlib.sha256(key.encode()).hexdigest()}"


def deliveries_create(
    *,
    user: Any,
    channels: Mapping[str, AlertRule | None],
    event_type: str,
    dedupe_key: str,
    subject: str,
    body: str,
    data: Mapping[str, Any],
) -> list[Delivery]:
    """One queued delivery per channel, skipping channels this event already reached.

    ``channels`` maps each channel to the rule that chose it (None: preferences or a
    send-now request). Sending is enqueued after the surrounding transaction commits.
    """
    key = dedupe_key_for(event_type=event_type, key=dedupe_key)
    created = []
    for channel, rule in channels.items():
        try:
            with transaction.atomic():
                created.append(
                    Delivery.objects.create(
                        owner=user,
                        rule=rule,
                        channel=channel,
                        event_type=event_type,
                        dedupe_key=key,
                        subject=(rule.message if rule and rule.message else subject)[:200],
                        body=body,
                        data=json_safe(data),
                    )
                )
        except IntegrityError:  # this event already went to this channel
            continue
    for delivery in created:
        transaction.on_commit(partial(delivery_enqueue, delivery_id=delivery.id))
    return created


def delivery_enqueue(*, delivery_id: int, countdown: float | None = None) -> None:
    from ..tasks import delivery_send_task

    delivery_send_task.apply_async(args=(delivery_id,), countdown=countdown)


# --- quotas ------------------------------------------------------------------------------


def quota_take(*, user_id: int, channel: str) -> bool:
    """Count one message against today's cap; False when the cap is reached."""
    cap = settings.NOTIFICATIONS["DAILY_QUOTA"].get(channel)
    if cap is None:
        return True
    day = ist_today()
    QuotaUsage.objects.get_or_create(user_id=user_id, channel=channel, day=day)
    rows = QuotaUsage.objects.filter(user_id=user_id, channel=channel, day=day, count__lt=cap)
    return rows.update(count=F("count") + 1) == 1


def quota_left(*, user_id: int, channel: str) -> int | None:
    cap = settings.NOTIFICATIONS["DAILY_QUOTA"].get(channel)
    if cap is None:
        return None
    row = QuotaUsage.objects.filter(user_id=user_id, channel=channel, day=ist_today()).first()
    return max(0, cap - (row.count if row else 0))


# --- sending -----------------------------------------------------------------------------

# The lease of a send, far beyond the notifications hard time limit (60 s): a row still
# "sending" when it lapses belongs to a worker that died between the provider call and
# recording its answer. It is never renewed: a send is one provider call.
SENDING_GIVE_UP_SECONDS = 900


def delivery_send(*, delivery_id: int) -> SendOutcome:
    """Claim a queued delivery, send it once, and record the outcome on the row."""
    # Never a takeover: a lapsed "sending" lease may have reached the provider (at most once).
    lease = lease_claim(
        Delivery,
        pk=delivery_id,
        ready=(Status.QUEUED,),
        held=Status.SENDING,
        seconds=SENDING_GIVE_UP_SECONDS,
        takeover=False,
        fields={"next_attempt_at": None, "updated_at": timezone.now()},
    )
    delivery = Delivery.objects.select_related("owner", "rule").filter(pk=delivery_id).first()
    if delivery is None:
        return SendOutcome("missing")
    if lease is None:  # another run has it, or it is already sent or failed
        return SendOutcome(delivery.status)
    if delivery.channel in QUOTA_CHANNELS and not delivery.quota_counted:
        if not quota_take(user_id=delivery.owner_id, channel=delivery.channel):
            return _finish(lease, delivery, Status.FAILED, reason=quota_reason(delivery.channel))
        lease_owned(lease).update(quota_counted=True)
    try:
        message = message_for(delivery)
        lease_owned(lease).update(destination=message.to[:500])
        result = backend_for(delivery.channel).send(message)
    except TransientError as exc:
        return _retry_or_fail(lease, delivery, exc)
    except (PermanentError, OutcomeUnknownError) as exc:
        return _finish(lease, delivery, Status.FAILED, reason=exc.reason)
    except Exception:  # a bug, not the provider: log it, retry within the same bound
        logger.exception("delivery %s: unexpected error while sending", delivery.pk)
        return _retry_or_fail(lease, delivery, TransientError("unexpected error while sending"))
    return _finish(lease, delivery, Status.SENT, provider_id=result.provider_id)


def _finish(
    lease: Lease, delivery: Delivery, status: str, *, reason: str = "", provider_id: str = ""
) -> SendOutcome:
    now = timezone.now()
    fields: dict[str, Any] = {"reason": reason, "updated_at": now}
    if status == Status.SENT:
        fields.update(sent_at=now, provider_id=provider_id[:100])
    lease_release(lease, status=status, fields=fields)
    level = logging.INFO if status == Status.SENT else logging.WARNING
    logger.log(level, "delivery %s %s %s %s", delivery.pk, delivery.channel, status, reason)
    return SendOutcome(status)


def _retry_or_fail(lease: Lease, delivery: Delivery, exc: DeliveryError) -> SendOutcome:
    max_retries = settings.NOTIFICATIONS["MAX_RETRIES"]
    if delivery.attempts > max_retries:
        reason = f"{exc.reason} (gave up after {delivery.attempts} attempts)"
        return _finish(lease, delivery, Status.FAILED, reason=reason)
    delay = backoff_seconds(
        attempt=delivery.attempts, retry_after=getattr(exc, "retry_after", None)
    )
    lease_release(
        lease,
        status=Status.QUEUED,
        fields={
            "reason": f"retrying: {exc.reason}"[:500],
            "updated_at": timezone.now(),
            "next_attempt_at": timezone.now() + timedelta(seconds=delay),
        },
    )
    logger.info("delivery %s %s will retry in %.0fs", delivery.pk, delivery.channel, delay)
    return SendOutcome(Status.QUEUED, retry_in=delay)


def backoff_seconds(*, attempt: int, retry_after: float | None = None) -> float:
    """Exponential with "equal jitter": half the step fixed, half random; Retry-After wins."""
    config = settings.NOTIFICATIONS
    step = min(
        config["RETRY_BACKOFF_MAX_SECONDS"], config["RETRY_BACKOFF_SECONDS"] * 2 ** (attempt - 1)
    )
    delay = step / 2 + random.uniform(0, step / 2)  # noqa: S311 (jitter, not a secret)
    return max(delay, retry_after or 0.0)


def message_for(delivery: Delivery) -> OutgoingMessage:
    """Resolve the destination now, so a changed email or phone is honoured."""
    return OutgoingMessage(
        user_id=delivery.owner_id,
        delivery_id=delivery.pk,
        event_type=delivery.event_type,
        subject=delivery.subject,
        body=delivery.body,
        data=delivery.data,
        **_destination(delivery),
    )


def _destination(delivery: Delivery) -> dict[str, str]:
    user = delivery.owner
    prefs = preferences_for(user=user)
    if delivery.channel == Channel.EMAIL:
        address = prefs.email or user.email
        if not address:
            raise PermanentError("no email address on the account")
        return {"to": address}
    if delivery.channel == Channel.SMS:
        if not (prefs.phone and prefs.phone_verified_at):
            raise PermanentError("no verified phone number")
        return {"to": prefs.phone}
    if delivery.channel == Channel.WEBHOOK:
        source = delivery.rule if delivery.rule and delivery.rule.webhook_url else prefs
        if not (source.webhook_url and source.webhook_secret):
            raise PermanentError("no webhook URL configured")
        try:
            secret = secret_decrypt(source.webhook_secret)
        except ValueError as exc:
            raise PermanentError(str(exc)) from None
        return {"to": source.webhook_url, "secret": secret}
    return {"to": ""}


def deliveries_requeue_due(*, older_than_seconds: int = 300, limit: int = 500) -> int:
    """Re-enqueue queued deliveries whose task was lost (broker restart, crash before
    enqueue). Safe to over-enqueue: the claim lets one run send."""
    now = timezone.now()
    stale = now - timedelta(seconds=older_than_seconds)
    ids = list(
        Delivery.objects.filter(status=Status.QUEUED, updated_at__lt=stale)
        .exclude(next_attempt_at__gt=now)
        .values_list("id", flat=True)[:limit]
    )
    for delivery_id in ids:
        delivery_enqueue(delivery_id=delivery_id)
    deliveries_unknown_close()
    return len(ids)


def deliveries_unknown_close() -> int:
    """Close deliveries whose "sending" lease lapsed: the provider may or may not have sent
    them, so they are failed with that reason, never re-sent (a duplicate SMS is worse than
    a gap)."""
    reason = "outcome unknown: the worker stopped while sending; not re-sent to avoid a duplicate"
    fields = {"reason": reason, "updated_at": timezone.now()}
    counts = leases_reap(
        Delivery,
        ready=Status.QUEUED,
        held=Status.SENDING,
        give_up=lambda lease: lease_release(lease, status=Status.FAILED, fields=fields),
    )
    return counts.given_up
