"""The escalation scanner (Celery beat, every ``SLA_SCAN_SECONDS``): fire the escalation rules
whose moment has passed, each exactly once per task.

It reads only tasks whose ``TaskSla.next_escalation_at`` has passed (a partial index: a scan
that finds nothing is one index probe). Batches of ``batch`` tasks, oldest point first, each
batch one transaction that:

1. locks the batch's task rows ``FOR UPDATE SKIP LOCKED`` (two beat ticks or workers racing
   take disjoint batches; the lock order task -> TaskSla is the lifecycle's),
2. fires every due rule not yet fired: an ``EscalationFiring`` row (unique per task and rule),
   and ``inbox.lifecycle.task_escalate`` (history event, notification through the
   notifications outbox, priority, return or reassignment with its engine write-back),
   (set-based for firings that only notify or raise priority),
3. moves ``next_escalation_at`` to the next rule's moment (null when none is left).

A worker killed mid-batch rolls the whole batch back; the next scan does it again, once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import User
from inbox import lifecycle
from inbox.models import OPEN_STATUSES, TaskStatus, UserTask
from sla.models import EscalationFiring, EscalationRule, TaskSla, Trigger
from sla.policies import Planner

log = logging.getLogger(__name__)

# What deciding a firing reads (not the task's form, results or context).
SCAN_FIELDS = (
    "id",
    "status",
    "created_at",
    "due_at",
    "assignee_id",
    "group_id",
    "priority",
    "version",
    "title",
    "sla__task_id",
    "sla__policy_id",
    "sla__next_escalation_at",
    "sla__escalated",
)


@dataclass
class ScanResult:
    tasks: int = 0
    fired: int = 0


class Recipients:
    """Group members, cached for one scan."""

    def __init__(self):
        self._members: dict[int, list[int]] = {}

    def preload(self, group_ids) -> None:
        """Members of all these groups in one query."""
        wanted = {g for g in group_ids if g and g not in self._members}
        if not wanted:
            return
        for group_id in wanted:
            self._members[group_id] = []
        for user_id, group_id in User.groups.through.objects.filter(
            group_id__in=wanted, user__is_active=True
        ).values_list("user_id", "group_id"):
            self._members[group_id].append(user_id)

    def members(self, group_id: int | None) -> list[int]:
        if not group_id:
            return []
        if group_id not in self._members:
            self._members[group_id] = list(
                User.objects.filter(groups=group_id, is_active=True).values_list("id", flat=True)
            )
        return self._members[group_id]

    def for_rule(self, rule: EscalationRule, task: UserTask) -> list[int]:
        ids = []
        if rule.notify_holder and task.assignee_id:
            ids.append(task.assignee_id)
        if rule.notify_group:
            ids += self.members(task.group_id)
        ids += [u.pk for u in rule.notify_users.all() if u.is_active]
        ids += self.members(rule.notify_manager_group_id)
        return ids


def scan(*, now=None, batch: int = 500, max_batches: int | None = None) -> ScanResult:
    """Fire what is due at ``now`` (default: the current time). Returns tasks looked at and
    rules fired. Safe to run concurrently with itself and with any lifecycle change."""
    now = now or timezone.now()
    result = ScanResult()
    if not TaskSla.objects.filter(next_escalation_at__lte=now).exists():
        return result  # the usual tick: one probe of the partial index, no transaction
    planner, recipients = Planner(), Recipients()
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with transaction.atomic():
            tasks = list(
                UserTask.objects.select_for_update(skip_locked=True, of=("self",))
                .filter(sla__next_escalation_at__lte=now)
                .order_by("sla__next_escalation_at")
                .select_related("sla")
                .only(*SCAN_FIELDS)[:batch]
            )
            if not tasks:
                break
            result.tasks += len(tasks)
            result.fired += _fire_batch(tasks, now, planner, recipients)
    return result


def _fire_batch(tasks: list[UserTask], now, planner: Planner, recipients: Recipients) -> int:
    fired: dict = {}
    for task_id, rule_id in EscalationFiring.objects.filter(
        task_id__in=[t.pk for t in tasks]
    ).values_list("task_id", "rule_id"):
        fired.setdefault(task_id, set()).add(rule_id)
    recipients.preload({t.group_id for t in tasks})
    firings, escalations, rows, reasons, live = [], [], [], {}, []
    for task in tasks:
        row: TaskSla = task.sla
        rows.append(row)
        policy = planner.by_id(row.policy_id)
        if policy is None or task.status not in OPEN_STATUSES:
            row.next_escalation_at = None
            continue
        live.append((task, policy))
        clock = planner.clock(policy)
        done = fired.setdefault(task.pk, set())
        due_rules = []
        for rule in planner.rules(policy):
            if rule.pk in done:
                continue
            at = planner.rule_time(rule, task, task.due_at, clock)
            if at is None or at > now:
                continue
            if rule.trigger == Trigger.UNCLAIMED and task.status != TaskStatus.UNASSIGNED:
                continue  # claimed in time: this rule lapses (never fired)
            due_rules.append((at, rule))
        for at, rule in sorted(due_rules, key=lambda pair: (pair[0], pair[1].pk)):
            reason = rule.describe_trigger(business=clock.business)
            firings.append(EscalationFiring(task_id=task.pk, rule=rule, fired_at=now, due_at=at))
            done.add(rule.pk)
            reasons[task.pk] = reason
            escalations.append(
                lifecycle.Escalation(
                    task_id=task.pk,
                    reason=reason,
                    rule={"id": rule.pk, "name": str(rule), "policy": policy.name},
                    notify=recipients.for_rule(rule, task),
                    raise_priority=rule.raise_priority,
                    return_to_group=rule.return_to_group,
                    reassign_user=rule.reassign_user,
                    reassign_group=rule.reassign_group,
                )
            )
    changed = lifecycle.tasks_escalate(escalations=escalations) if escalations else {}
    for task, policy in live:
        row = task.sla
        if task.pk in changed:
            row.escalated = f"escalated: {reasons[task.pk]}"[:200]
            task = changed[task.pk]  # as the escalation left it (status, group, priority)
        row.next_escalation_at = planner.next_escalation(
            task, policy, task.due_at, fired.get(task.pk, set()), after=now
        )
    EscalationFiring.objects.bulk_create(firings, batch_size=1000)  # unique: a double would fail
    _save_rows(rows)
    return len(firings)


def _save_rows(rows: list[TaskSla]) -> None:
    """Each row's next point and escalation words: one UPDATE ... FROM (VALUES ...) on
    PostgreSQL (Django's bulk_update builds a CASE per row, costly in Python at 10,000 rows)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        TaskSla.objects.bulk_update(rows, ["next_escalation_at", "escalated"], batch_size=500)
        return
    table = TaskSla._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            chunk = rows[start : start + 1000]
            values = ", ".join(["(%s::uuid, %s::timestamptz, %s)"] * len(chunk))
            params = [p for r in chunk for p in (r.task_id, r.next_escalation_at, r.escalated)]
            cursor.execute(
                f'UPDATE "{table}" AS t SET next_escalation_at = v.at, escalated = v.words '
                f"FROM (VALUES {values}) AS v(task_id, at, words) WHERE t.task_id = v.task_id",
                params,
            )
