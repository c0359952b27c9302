"""Which policy a task falls under, and the dates it gives: due ("complete within"), follow-up
("claim within"), and the next moment an escalation rule is due (``next_escalation_at``).

``apply_to_tasks`` runs inside the lifecycle's transaction (through ``inbox.lifecycle.hooks``)
for new tasks and engine changes; ``recompute_open_tasks`` re-applies changed policies to open
tasks in chunks (one locking SELECT, one bulk upsert and one bulk UPDATE per chunk, not a
statement per task). Lock order everywhere: task rows, then their TaskSla rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.db.models import Q

from inbox import lifecycle
from inbox.models import OPEN_STATUSES, TaskStatus, UserTask
from sla.calendars import Clock, NoWorkingTime
from sla.models import (
    EscalationFiring,
    EscalationRule,
    SlaPolicy,
    TaskSla,
    Trigger,
    default_calendar,
)


class Planner:
    """Active policies, their clocks and rules, loaded once and reused for many tasks."""

    def __init__(self):
        self.policies = sorted(
            SlaPolicy.objects.filter(active=True).select_related("calendar"),
            key=lambda p: (-p.specificity, p.order, p.pk),
        )
        self._clocks: dict[int, Clock] = {}
        self._rules: dict[int, list[EscalationRule]] = {}
        self._default = None
        self._default_loaded = False

    def match(self, task: UserTask) -> SlaPolicy | None:
        return next((p for p in self.policies if p.matches(task)), None)

    def by_id(self, policy_id: int | None) -> SlaPolicy | None:
        return next((p for p in self.policies if p.pk == policy_id), None)

    def clock(self, policy: SlaPolicy) -> Clock:
        if policy.pk not in self._clocks:
            calendar = policy.calendar
            if calendar is None:
                if not self._default_loaded:
                    self._default, self._default_loaded = default_calendar(), True
                calendar = self._default
            self._clocks[policy.pk] = Clock(calendar, policy.time_basis)
        return self._clocks[policy.pk]

    def rules(self, policy: SlaPolicy) -> list[EscalationRule]:
        if policy.pk not in self._rules:
            self._rules[policy.pk] = list(
                EscalationRule.objects.filter(policy=policy)
                .select_related("reassign_user", "reassign_group")
                .prefetch_related("notify_users")
                .order_by("id")
            )
        return self._rules[policy.pk]

    def dates(self, task: UserTask, policy: SlaPolicy, engine_due) -> tuple:
        """(due_at, due_from_policy, follow_up_at) for ``task`` under ``policy``."""
        clock = self.clock(policy)
        policy_due = follow_up = None
        try:
            if policy.complete_within:
                policy_due = clock.shift(task.created_at, policy.complete_within)
            if policy.claim_within:
                follow_up = clock.shift(task.created_at, policy.claim_within)
        except NoWorkingTime:
            pass  # a calendar closed for years: no date rather than a wrong one
        if policy_due is None or (engine_due is not None and policy.engine_due_wins):
            return engine_due, False, follow_up
        return policy_due, True, follow_up

    def rule_time(self, rule: EscalationRule, task: UserTask, due, clock: Clock) -> datetime | None:
        try:
            if rule.trigger == Trigger.UNCLAIMED:
                return clock.shift(task.created_at, rule.offset)
            if due is None:
                return None
            if rule.trigger == Trigger.BEFORE_DUE:
                return clock.shift(due, -rule.offset)
            return clock.shift(due, rule.offset)
        except NoWorkingTime:
            return None

    def next_escalation(self, task, policy, due, fired: set, *, after=None) -> datetime | None:
        """The earliest time of a rule not yet fired for ``task`` (only times later than
        ``after`` when given: the scanner has just looked at everything up to then)."""
        if task.status not in OPEN_STATUSES:
            return None
        clock = self.clock(policy)
        times = []
        for rule in self.rules(policy):
            if rule.pk in fired:
                continue
            if rule.trigger == Trigger.UNCLAIMED and task.status != TaskStatus.UNASSIGNED and after:
                continue  # lapsed: it was claimed in time
            at = self.rule_time(rule, task, due, clock)
            if at is not None and (after is None or at > after):
                times.append(at)
        return min(times, default=None)


def apply_to_tasks(
    tasks: Iterable[UserTask], *, engine_due: bool, planner=None, created: bool = False
) -> None:
    """Give ``tasks`` (locked by the caller, or just inserted) their policy's dates.

    ``engine_due``: each task's ``due_at`` is its engine's date right now. Tasks no policy
    matches lose their TaskSla row and get their engine's due date back. Updates the given
    objects in place (due date, version, follow-up) so the caller returns what was stored.
    The follow-up date is also copied onto the task row (``UserTask.follow_up_at``, what
    ``sort=follow_up`` orders by) with one bulk UPDATE, only for tasks whose date changed.
    ``created``: the tasks were inserted in this transaction (no TaskSla row or firing of
    theirs can exist: not looked up).
    """
    tasks = [t for t in tasks if t.status in OPEN_STATUSES]
    if not tasks:
        return
    planner = planner or Planner()
    ids = [t.pk for t in tasks]
    existing = (
        {} if created else {row.task_id: row for row in TaskSla.objects.filter(task_id__in=ids)}
    )
    if not planner.policies and not existing:
        return
    fired: dict = {}
    if existing:
        for task_id, rule_id in EscalationFiring.objects.filter(
            task_id__in=list(existing)
        ).values_list("task_id", "rule_id"):
            fired.setdefault(task_id, set()).add(rule_id)
    upserts, dues, drop, follow_ups = [], {}, [], []
    for task in tasks:
        row = existing.get(task.pk)
        if engine_due:
            engine = task.due_at
        elif row is not None:
            engine = row.engine_due_at
        else:
            engine = None if task.due_from_policy else task.due_at
        policy = planner.match(task)
        if policy is None:
            if row is not None:
                drop.append(task.pk)
            if task.follow_up_at is not None:
                task.follow_up_at = None
                follow_ups.append(task)
            if task.due_from_policy or (engine_due and task.due_at != engine):
                dues[task.pk] = (engine, False)
            continue
        due, from_policy, follow_up = planner.dates(task, policy, engine)
        if (task.due_at, task.due_from_policy) != (due, from_policy):
            dues[task.pk] = (due, from_policy)
        if task.follow_up_at != follow_up:
            task.follow_up_at = follow_up
            follow_ups.append(task)
        upserts.append(
            TaskSla(
                task_id=task.pk,
                policy=policy,
                engine_due_at=engine,
                follow_up_at=follow_up,
                next_escalation_at=planner.next_escalation(
                    task, policy, due, fired.get(task.pk, set())
                ),
                escalated=row.escalated if row else "",
            )
        )
    if dues:  # task rows first (the lock order), then their TaskSla rows
        changed = {row.pk: row for row in lifecycle.tasks_set_due(dues=dues)}
        for task in tasks:
            if task.pk in changed:
                row = changed[task.pk]
                task.due_at, task.due_from_policy = row.due_at, row.due_from_policy
                task.version, task.updated_at = row.version, row.updated_at
    if follow_ups:  # the list sort's copy (inbox.UserTask.follow_up_at): no version bump,
        # as a recomputed TaskSla row never made one; the caller holds the task rows' locks.
        UserTask.objects.bulk_update(
            [UserTask(pk=t.pk, follow_up_at=t.follow_up_at) for t in follow_ups],
            ["follow_up_at"],
            batch_size=1000,
        )
    if drop:
        TaskSla.objects.filter(task_id__in=drop).delete()
    if upserts:
        TaskSla.objects.bulk_create(
            upserts,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["task"],
            update_fields=["policy", "engine_due_at", "follow_up_at", "next_escalation_at"],
        )


def affected_tasks(policy_ids: Iterable[int]) -> Q:
    """Open tasks a change of these policies may concern: on them now, or matching them."""
    policy_ids = list(policy_ids)
    # A deleted policy leaves its tasks' rows without one (SET_NULL): those are looked at too.
    q = Q(sla__policy_id__in=policy_ids) | Q(sla__isnull=False, sla__policy__isnull=True)
    for policy in SlaPolicy.objects.filter(pk__in=policy_ids):
        match = Q()
        if policy.task_type:
            match &= Q(task_type=policy.task_type)
        if policy.group_id:
            match &= Q(group_id=policy.group_id)
        if policy.source_id:
            match &= Q(source_id=policy.source_id)
        if not match:  # a catch-all policy: every open task (an empty Q would add nothing)
            return Q()
        q |= match
    return q


def recompute_open_tasks(*, policy_ids: Iterable[int] | None = None, chunk: int = 2000) -> int:
    """Re-apply policies to open tasks after a change (of these policies, or of all), in
    chunks of ``chunk`` tasks in id order, each its own transaction. Returns tasks looked at."""
    planner = Planner()
    base = UserTask.objects.filter(status__in=OPEN_STATUSES)
    if policy_ids is not None:
        base = base.filter(affected_tasks(policy_ids))
    seen, last = 0, None
    while True:
        with transaction.atomic():
            page = base.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            ids = list(page.values_list("pk", flat=True)[:chunk])
            if not ids:
                return seen
            tasks = list(
                UserTask.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, status__in=OPEN_STATUSES)
                .order_by("pk")
            )
            apply_to_tasks(tasks, engine_due=False, planner=planner)
        seen += len(ids)
        last = ids[-1]


def allows_outside_delegation(task: UserTask) -> bool:
    """Whether the policy the task falls under lets its holder delegate outside its group
    (read by delegation; False when no policy applies)."""
    row = TaskSla.objects.filter(task_id=task.pk).select_related("policy").first()
    if row is not None and row.policy is not None:
        return row.policy.active and row.policy.allow_delegation_outside_group
    policy = Planner().match(task)
    return bool(policy and policy.allow_delegation_outside_group)
