"""Outbound webhooks and completion callbacks: subscriptions and signed deliveries.

A delivery is sent under a row lock (``SKIP LOCKED``: a second worker given the same delivery
moves on) and only when no older pending delivery exists for the same target and task (or case,
for ``case.changed``), so a receiver sees a task's or a case's events in order. A 2xx marks it delivered for good (never sent again);
anything else (an error status, a timeout, a refused connection) backs off exponentially up to
``MAX_ATTEMPTS``. Each attempt is bounded by ``WEBHOOK_TIMEOUT``, so a hanging receiver holds
up only its own deliveries. The sweep re-queues due deliveries whose message was lost.
"""

import json
import secrets
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from inbox.errors import ValidationError
from notifications import dispatch
from notifications.models import Webhook, WebhookDelivery
from notifications.payloads import WEBHOOK_EVENTS
from notifications.signing import signature
from notifications.urlcheck import check_target_url

MAX_ATTEMPTS = 10
MAX_DELAY = timedelta(hours=1)
Status = WebhookDelivery.Status


def retry_delay(attempts: int) -> timedelta:
    return min(timedelta(seconds=2 ** min(attempts, 12)), MAX_DELAY)


def _clean_events(events) -> list[str]:
    if not isinstance(events, list) or not events:
        raise ValidationError(
            "Choose at least one event kind.",
            fields={"events": [f"A list of: {', '.join(WEBHOOK_EVENTS)}."]},
        )
    unknown = [e for e in events if e not in WEBHOOK_EVENTS]
    if unknown:
        raise ValidationError(
            f"Unknown event kinds: {', '.join(map(str, unknown))}.",
            fields={"events": [f"Choose from: {', '.join(WEBHOOK_EVENTS)}."]},
        )
    return list(dict.fromkeys(events))


def webhook_create(*, name: str, url: str, events, created_by: User | None) -> Webhook:
    """Subscribe ``url`` to ``events``; the URL is checked (https, resolvable, public)."""
    name = str(name or "").strip()
    if not name or len(name) > 100:
        raise ValidationError("Give the webhook a name.", fields={"name": ["1 to 100 characters."]})
    events = _clean_events(events)
    url = check_target_url(url)
    return Webhook.objects.create(
        name=name,
        url=url,
        events=events,
        secret="whsec_" + secrets.token_urlsafe(32),
        created_by=created_by,
    )


def webhook_update(*, webhook: Webhook, **values) -> Webhook:
    if "url" in values:
        webhook.url = check_target_url(values["url"])
    if "events" in values:
        webhook.events = _clean_events(values["events"])
    if "active" in values:
        webhook.active = bool(values["active"])
    if "name" in values and str(values["name"]).strip():
        webhook.name = str(values["name"]).strip()[:100]
    webhook.save()
    return webhook


def delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """An admin sends a delivery again by hand: a new delivery with the same payload."""
    copy = WebhookDelivery.objects.create(
        webhook=delivery.webhook,
        callback=delivery.callback,
        task=delivery.task,
        case=delivery.case,
        event_kind=delivery.event_kind,
        payload=delivery.payload,
    )
    transaction.on_commit(lambda: dispatch.send(dispatch.DELIVER, copy.pk))
    return copy


def _target(delivery: WebhookDelivery) -> tuple[str, str]:
    if delivery.webhook_id:
        return delivery.webhook.url, delivery.webhook.secret
    return delivery.callback.url, delivery.callback.secret


def _same_line(delivery: WebhookDelivery) -> Q | None:
    """The deliveries kept in order with this one: same target, same task (or case)."""
    if delivery.task_id is not None:
        subject = Q(task_id=delivery.task_id)
    elif delivery.case_id is not None:
        subject = Q(case_id=delivery.case_id)
    else:
        return None
    if delivery.webhook_id:
        return subject & Q(webhook_id=delivery.webhook_id)
    return subject & Q(callback_id=delivery.callback_id)


def _older_pending(delivery: WebhookDelivery) -> bool:
    line = _same_line(delivery)
    if line is None:
        return False
    return (
        WebhookDelivery.objects.filter(line, status=Status.PENDING, id__lt=delivery.pk)
        .exclude(pk=delivery.pk)
        .exists()
    )


def post_signed(url: str, secret: str, body: bytes, *, delivery_id: str, event: str):
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "human-task-inbox/1 (+webhooks)",
        "X-Inbox-Event": event,
        "X-Inbox-Delivery": delivery_id,
        "X-Inbox-Timestamp": timestamp,
    }
    if secret:
        headers["X-Inbox-Signature"] = signature(secret, timestamp, body)
    timeout = httpx.Timeout(settings.WEBHOOK_TIMEOUT)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        return client.post(url, content=body, headers=headers)


def deliver(delivery_pk: int) -> str:
    """Send one delivery if it is due and first in line; returns what happened."""
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("webhook", "callback")
            .filter(pk=delivery_pk, status=Status.PENDING)
            .first()
        )
        if delivery is None:
            return "skipped"
        if delivery.next_attempt_at > timezone.now():
            return "not-due"
        if _older_pending(delivery):
            return "waiting"
        url, secret = _target(delivery)
        body = json.dumps(
            {"delivery_id": str(delivery.delivery_id), **delivery.payload},
            separators=(",", ":"),
            sort_keys=True,
        ).encode()
        delivery.attempts += 1
        try:
            response = post_signed(
                url,
                secret,
                body,
                delivery_id=str(delivery.delivery_id),
                event=delivery.event_kind,
            )
            delivery.last_status_code = response.status_code
            ok = 200 <= response.status_code < 300
            delivery.last_error = "" if ok else f"HTTP {response.status_code}"
        except httpx.HTTPError as exc:
            ok = False
            delivery.last_status_code = None
            delivery.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if ok:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = timezone.now()
            outcome = "delivered"
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = Status.FAILED
            outcome = "failed"
        else:
            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = timezone.now() + delay
            transaction.on_commit(
                lambda: dispatch.send(
                    dispatch.DELIVER, delivery.pk, countdown=delay.total_seconds()
                )
            )
            outcome = "retry"
        delivery.save()
    line = _same_line(delivery)
    if outcome in ("delivered", "failed") and line is not None:
        following = (
            WebhookDelivery.objects.filter(line, status=Status.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)
            .first()
        )
        if following:
            dispatch.send(dispatch.DELIVER, following)
    return outcome


def sweep(*, stale_after: timedelta = timedelta(seconds=30)) -> int:
    """Re-queue due pending deliveries created at least ``stale_after`` ago."""
    now = timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            status=Status.PENDING, next_attempt_at__lte=now, created_at__lte=now - stale_after
        )
        .order_by("id")
        .values_list("pk", flat=True)[:1000]
    )
    return sum(dispatch.send(dispatch.DELIVER, pk) for pk in due)
