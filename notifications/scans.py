"""Periodic scans: tasks due soon or overdue (their holders), sources that keep failing
(admins). A ``dedupe_key`` makes each notice unique, so a scan repeated, or run by two
workers at once, tells nobody twice."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from inbox.models import Source, TaskStatus, UserTask
from notifications.fanout import Notice, Plan, write_notices
from notifications.models import Kind, Webhook, WebhookDelivery
from notifications.payloads import task_summary
from notifications.recipients import admin_ids


def scan(*, now=None) -> int:
    """Write the notices the clock brings; returns how many notices were written.

    One transaction; two scans racing on the same notice make one of them fail on the unique
    ``dedupe_key`` and roll back (the next minute's scan has nothing left to do)."""
    now = now or timezone.now()
    plan = Plan()
    written = 0
    with transaction.atomic():
        soon = now + timedelta(minutes=settings.NOTIFY_DUE_SOON_MINUTES)
        held = UserTask.objects.filter(status=TaskStatus.ASSIGNED, due_at__isnull=False)
        due_soon = [
            Notice(
                t.assignee_id,
                Kind.DUE_SOON,
                t,
                f"Due soon: {t}",
                dedupe_key=f"due_soon:{t.pk}:{t.due_at.isoformat()}",
            )
            for t in held.filter(due_at__gt=now, due_at__lte=soon).select_related("group")[:5000]
        ]
        overdue_tasks = list(held.filter(due_at__lte=now).select_related("group")[:5000])
        overdue = [
            Notice(
                t.assignee_id,
                Kind.OVERDUE,
                t,
                f"Overdue: {t}",
                dedupe_key=f"overdue:{t.pk}:{t.due_at.isoformat()}",
            )
            for t in overdue_tasks
        ]
        failing = list(
            Source.objects.filter(
                enabled=True, consecutive_failures__gte=settings.NOTIFY_SOURCE_FAILURES
            )
        )
        admins = admin_ids() if failing else []
        source_notices = [
            Notice(
                uid,
                Kind.SOURCE_FAILING,
                None,
                f"Source {s.name} keeps failing ({s.consecutive_failures} polls in a row)",
                body=s.last_error[:2000],
                dedupe_key=f"source:{s.pk}:{(s.last_success_at or s.created_at).isoformat()}:{uid}",
            )
            for s in failing
            for uid in admins
        ]
        for kind, notices in (
            (Kind.DUE_SOON, due_soon),
            (Kind.OVERDUE, overdue),
            (Kind.SOURCE_FAILING, source_notices),
        ):
            if notices:
                rows = write_notices(kind, notices, plan)
                written += len(rows)
        written += _overdue_webhooks(overdue_tasks, now, plan)
        transaction.on_commit(plan.dispatch)
    return written


def _overdue_webhooks(tasks, now, plan: Plan) -> int:
    hooks = [h for h in Webhook.objects.filter(active=True) if "task.overdue" in h.events]
    if not hooks or not tasks:
        return 0
    done = set(
        WebhookDelivery.objects.filter(
            event_kind="task.overdue", task__in=tasks, webhook__in=hooks
        ).values_list("webhook_id", "task_id")
    )
    rows = [
        WebhookDelivery(
            webhook=hook,
            task=task,
            event_kind="task.overdue",
            payload={
                "event": "task.overdue",
                "occurred_at": now.isoformat(),
                "task": task_summary(task),
            },
        )
        for task in tasks
        for hook in hooks
        if (hook.pk, task.pk) not in done
    ]
    for row in WebhookDelivery.objects.bulk_create(rows):
        plan.deliveries.append(row.pk)
    return 0
