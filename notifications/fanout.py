"""Fan-out: turn the lifecycle's outbox rows into feed entries, notifications for people and
webhook/callback deliveries for systems. Task events do all three; case events (a case's status
seen or changed) become feed entries and ``case.changed`` deliveries.

One fan-out runs at a time (a PostgreSQL advisory transaction lock), so feed ``seq`` numbers
commit in order. Each batch is one transaction: the outbox rows are deleted in the same
transaction that writes what they became, so a worker killed half-way leaves them for the
next run and nothing is doubled. Messages to send mail, chat and deliveries leave after the
commit. Notification rules (no notice for your own actions; new claimable tasks batched per
user per window) live here.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from inbox.models import CaseEvent, TaskEvent, TaskStatus, UserTask
from inbox.queries import can_see_task
from notifications import dispatch
from notifications.models import (
    CompletionCallback,
    EventOutbox,
    FeedEntry,
    Kind,
    Mode,
    Notification,
    UserSettings,
    Webhook,
    WebhookDelivery,
)
from notifications.payloads import CASE_CHANGED, case_event_payload, event_payload, webhook_kind
from notifications.preferences import modes_for
from notifications.recipients import admin_ids, member_ids, mentioned_users, standing_in

FANOUT_LOCK_KEY = 7_466_104_100_001
EK = TaskEvent.Kind


def batch_window() -> timedelta:
    return timedelta(seconds=settings.NOTIFY_BATCH_SECONDS)


def task_path(task_id) -> str:
    return reverse("inbox:task", args=[task_id])


@dataclass
class Notice:
    user_id: int
    kind: str
    task: UserTask | None
    title: str
    body: str = ""
    dedupe_key: str | None = None


@dataclass
class Plan:
    """What one batch produces; sent after its transaction commits."""

    notices: list[Notice] = field(default_factory=list)
    claimable: dict[int, dict] = field(default_factory=dict)  # group id -> {count, actors}
    mails: list[tuple[int, float | None]] = field(default_factory=list)
    chats: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)

    def dispatch(self) -> None:
        for pk, countdown in self.mails:
            dispatch.send(dispatch.SEND_MAIL, pk, countdown=countdown)
        for pk in self.chats:
            dispatch.send(dispatch.SEND_CHAT, pk)
        for pk in self.deliveries:
            dispatch.send(dispatch.DELIVER, pk)


def pump(*, limit: int = 2000) -> int:
    """Work off the outbox in batches of ``limit`` events; returns how many were fanned out."""
    total = 0
    while True:
        done = _pump_batch(limit)
        total += done
        if done < limit:
            return total


def _pump_batch(limit: int) -> int:
    plan = Plan()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FANOUT_LOCK_KEY])
        rows = list(
            EventOutbox.objects.order_by("id").values_list("id", "event_id", "case_event_id")[
                :limit
            ]
        )
        if not rows:
            return 0
        event_ids = [event_id for _, event_id, _ in rows if event_id]
        case_event_ids = [case_event_id for _, _, case_event_id in rows if case_event_id]
        FeedEntry.objects.bulk_create(
            [FeedEntry(event_id=event_id, case_event_id=ce_id) for _, event_id, ce_id in rows],
            ignore_conflicts=True,
        )
        events = list(
            TaskEvent.objects.filter(pk__in=event_ids)
            .select_related("task", "task__group")
            .order_by("id")
        )
        for event in events:
            _notices_for(event, plan)
        _write_notifications(plan)
        _write_claimable_batches(plan)
        _write_deliveries(events, plan)
        _write_case_deliveries(case_event_ids, plan)
        EventOutbox.objects.filter(id__in=[pk for pk, _, _ in rows]).delete()
        transaction.on_commit(plan.dispatch)
    return len(rows)


def _uid(ref) -> int | None:
    return ref.get("id") if isinstance(ref, dict) else None


def _notices_for(event: TaskEvent, plan: Plan) -> None:
    task, data, actor = event.task, event.data or {}, event.actor_id
    if event.kind == EK.CREATED:
        user, group = _uid(data.get("user")), _uid(data.get("group"))
        if user and user != actor:
            plan.notices.append(_assigned_notice(event, user))
        elif group and not user and data.get("status", TaskStatus.UNASSIGNED) == "UNASSIGNED":
            _add_claimable(plan, group, actor)
    elif event.kind == EK.ASSIGNED:
        new, old = _uid(data.get("new_user")), _uid(data.get("old_user"))
        if new and new != actor and new != old:
            plan.notices.append(_assigned_notice(event, new))
        if old and old != actor and new != old:
            who = event.actor_name
            plan.notices.append(Notice(old, Kind.TAKEN_AWAY, task, f"Reassigned by {who}: {task}"))
        new_group, old_group = _uid(data.get("new_group")), _uid(data.get("old_group"))
        if not new and new_group and new_group != old_group:
            _add_claimable(plan, new_group, actor)
    elif event.kind in (EK.COMPLETED, EK.CANCELLED):
        if task.assignee_id and task.assignee_id != actor:
            verb = "Completed" if event.kind == EK.COMPLETED else "Cancelled"
            plan.notices.append(
                Notice(
                    task.assignee_id,
                    Kind.TAKEN_AWAY,
                    task,
                    f"{verb} by {event.actor_name}: {task}",
                    body=str(data.get("message") or data.get("reason") or ""),
                )
            )
    elif event.kind == EK.COMMENT_ADDED:
        for user in mentioned_users(data.get("text", "")):
            if user.pk != actor and can_see_task(user, task):
                plan.notices.append(
                    Notice(
                        user.pk,
                        Kind.MENTION,
                        task,
                        f"{event.actor_name} mentioned you on {task}",
                        body=data.get("text", "")[:2000],
                    )
                )
    elif event.kind == EK.ESCALATED:
        # sla.scanner via inbox.lifecycle.task_escalate: the rule's recipients, already resolved.
        for uid in data.get("notify") or []:
            if isinstance(uid, int):
                plan.notices.append(
                    Notice(
                        uid,
                        Kind.ESCALATED,
                        task,
                        f"Escalated ({data.get('reason') or 'SLA'}): {task}",
                        body="; ".join(data.get("actions") or []),
                    )
                )
    elif event.kind == EK.UPSTREAM_CHANGED and (
        data.get("write_back_failed") or data.get("outcome") == "conflict"
    ):
        # inbox.lifecycle.upstream: task_record_writeback_failure / task_record_writeback_outcome
        action = data.get("write_back_failed") or data.get("write_back")
        what = "failed" if data.get("write_back_failed") else "conflicted"
        for uid in admin_ids():
            plan.notices.append(
                Notice(
                    uid,
                    Kind.WRITEBACK_FAILED,
                    task,
                    f"Write-back ({action}) {what}: {task}",
                    body=str(data.get("error") or data.get("detail") or "")[:2000],
                )
            )


def _assigned_notice(event: TaskEvent, user_id: int) -> Notice:
    """ "Assigned to you", saying when it was delegated (with the note) or meant for someone
    away (``inbox.lifecycle.delegation`` / ``away``)."""
    task, data = event.task, event.data or {}
    away = (data.get("away_for") or {}).get("username")
    if data.get("delegated"):
        title = f"Delegated to you by {event.actor_name}: {task}"
    elif away:
        title = f"Assigned to you for {away}, who is away: {task}"
    else:
        title = f"Assigned to you: {task}"
    return Notice(user_id, Kind.ASSIGNED, task, title, body=str(data.get("note") or ""))


def _add_claimable(plan: Plan, group_id: int, actor: int | None) -> None:
    entry = plan.claimable.setdefault(group_id, {"count": 0, "actors": None})
    entry["count"] += 1
    # A member is spared only when they did every one of these themselves.
    entry["actors"] = {actor} if entry["actors"] is None else entry["actors"] & {actor}


def _channels(user_ids, kind: str) -> tuple[dict[int, str], set[int]]:
    """Each user's mode for ``kind``, and who among them has a chat webhook."""
    modes = modes_for(user_ids, kind)
    chat = set(
        UserSettings.objects.filter(user_id__in=list(modes))
        .exclude(chat_url="")
        .values_list("user_id", flat=True)
    )
    return modes, chat


def new_notification(
    *, user_id: int, kind: str, mode: str, chat: bool, email: bool, **values
) -> Notification:
    mail_state = "none"
    if email:
        mail_state = "pending" if mode == Mode.IMMEDIATELY else "digest"
    return Notification(
        user_id=user_id,
        kind=kind,
        mail_state=mail_state,
        chat_state="pending" if chat and mode == Mode.IMMEDIATELY else "none",
        **values,
    )


def _write_notifications(plan: Plan) -> None:
    by_kind: dict[str, list[Notice]] = defaultdict(list)
    for notice in plan.notices:
        by_kind[notice.kind].append(notice)
    for kind, notices in by_kind.items():
        write_notices(kind, notices, plan)


def write_notices(kind: str, notices: list[Notice], plan: Plan) -> list[Notification]:
    """Store notices of one kind per the users' preferences; queue their mail and chat."""
    modes, chat = _channels({n.user_id for n in notices}, kind)
    emails = dict(
        User.objects.filter(pk__in=list(modes)).exclude(email="").values_list("id", "email")
    )
    keys = [n.dedupe_key for n in notices if n.dedupe_key]
    if keys:  # told already (an earlier scan): skip
        told = set(
            Notification.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
        )
        notices = [n for n in notices if n.dedupe_key not in told]
    rows = [
        new_notification(
            user_id=n.user_id,
            kind=kind,
            mode=modes[n.user_id],
            chat=n.user_id in chat,
            email=n.user_id in emails,
            task=n.task,
            title=n.title[:500],
            body=n.body,
            url=task_path(n.task.pk) if n.task else "",
            dedupe_key=n.dedupe_key,
        )
        for n in notices
        if modes[n.user_id] != Mode.OFF
    ]
    rows = Notification.objects.bulk_create(rows)
    for row in rows:
        if row.mail_state == "pending":
            plan.mails.append((row.pk, None))
        if row.chat_state == "pending":
            plan.chats.append(row.pk)
    return rows


def _write_claimable_batches(plan: Plan) -> None:
    """New claimable tasks: one notice per member per window, counting the tasks."""
    now = timezone.now()
    for group_id, entry in plan.claimable.items():
        members = [uid for uid in member_ids(group_id) if uid not in (entry["actors"] or set())]
        members, standing = standing_in(members)  # members away: their substitutes instead
        absent_names = dict(
            User.objects.filter(pk__in=[a for ids in standing.values() for a in ids]).values_list(
                "id", "username"
            )
        )
        modes, chat = _channels(members, Kind.NEW_CLAIMABLE)
        wanted = [uid for uid in members if modes[uid] != Mode.OFF]
        if not wanted:
            continue
        open_batches = Notification.objects.filter(
            kind=Kind.NEW_CLAIMABLE, group_id=group_id, user_id__in=wanted, batch_until__gt=now
        )
        have = set(open_batches.values_list("user_id", flat=True))
        open_batches.update(count=F("count") + entry["count"], read_at=None)
        emails = dict(
            User.objects.filter(pk__in=wanted).exclude(email="").values_list("id", "email")
        )
        group = Group.objects.get(pk=group_id)
        window = batch_window()
        rows = Notification.objects.bulk_create(
            [
                new_notification(
                    user_id=uid,
                    kind=Kind.NEW_CLAIMABLE,
                    mode=modes[uid],
                    chat=uid in chat,
                    email=uid in emails,
                    group=group,
                    count=entry["count"],
                    batch_until=now + window,
                    title=f"New tasks to claim in {group.name}"
                    + _standing_note(standing.get(uid), absent_names),
                    url=reverse("inbox:claimable") + f"?group={group.name}",
                )
                for uid in wanted
                if uid not in have
            ]
        )
        for row in rows:
            if row.mail_state == "pending":
                plan.mails.append((row.pk, window.total_seconds()))
            if row.chat_state == "pending":
                plan.chats.append(row.pk)


def _standing_note(absent_ids, names: dict[int, str]) -> str:
    if not absent_ids:
        return ""
    who = ", ".join(sorted(names.get(a, "?") for a in absent_ids))
    return f" (for {who}, who {'is' if len(absent_ids) == 1 else 'are'} away)"


def _write_deliveries(events: list[TaskEvent], plan: Plan) -> None:
    hooks = list(Webhook.objects.filter(active=True))
    rows = []
    for event in events:
        kind = webhook_kind(event)
        if kind is None:
            continue
        payload = None
        for hook in hooks:
            if kind in hook.events:
                payload = payload or event_payload(event, kind)
                rows.append(
                    WebhookDelivery(webhook=hook, task=event.task, event_kind=kind, payload=payload)
                )
    ended = [e for e in events if e.kind in (EK.COMPLETED, EK.CANCELLED)]
    if ended:
        callbacks = {
            cb.task_id: cb
            for cb in CompletionCallback.objects.select_for_update().filter(
                task_id__in=[e.task_id for e in ended], fired_at__isnull=True
            )
        }
        now = timezone.now()
        for event in ended:
            callback = callbacks.pop(event.task_id, None)
            if callback is None:
                continue
            callback.fired_at = now
            callback.save(update_fields=["fired_at"])
            kind = webhook_kind(event)
            rows.append(
                WebhookDelivery(
                    callback=callback,
                    task=event.task,
                    event_kind=kind,
                    payload=event_payload(event, kind),
                )
            )
    for row in WebhookDelivery.objects.bulk_create(rows, batch_size=1000):
        plan.deliveries.append(row.pk)


def _write_case_deliveries(case_event_ids: list[int], plan: Plan) -> None:
    """``case.changed`` deliveries, one per subscribed webhook and case event, in event order
    (the delivery worker keeps that order per webhook and case)."""
    if not case_event_ids:
        return
    hooks = [h for h in Webhook.objects.filter(active=True) if CASE_CHANGED in h.events]
    if not hooks:
        return
    events = (
        CaseEvent.objects.filter(pk__in=case_event_ids)
        .select_related("case", "case__source", "actor", "actor_source")
        .order_by("id")
    )
    rows = [
        WebhookDelivery(
            webhook=hook,
            case=event.case,
            event_kind=CASE_CHANGED,
            payload=payload,
        )
        for event in events
        for payload in [case_event_payload(event)]
        for hook in hooks
    ]
    for row in WebhookDelivery.objects.bulk_create(rows, batch_size=1000):
        plan.deliveries.append(row.pk)
