"""Signals the lifecycle sends so higher floors (``sla``) can react inside the same
transaction, without the lifecycle importing them.

``tasks_touched(tasks=[UserTask, ...], engine_due=bool)``: tasks were created, or an engine
changed what a service-level policy matches on (type, group, due date). ``engine_due`` is True
when each task's ``due_at`` is, right now, the date its engine (or its API creator) gave.
``created`` (optional, default False) is True when every task was inserted in this very
transaction, so no service-level row can exist for it yet (receivers need not look).
Receivers run inside the caller's transaction and lock nothing the caller does not hold.
"""

from django.dispatch import Signal

tasks_touched = Signal()

# Fields whose change makes a task's service levels worth recomputing.
SLA_FIELDS = frozenset({"task_type", "due_at", "group", "status", "source"})

# Rules that may let a task's holder delegate it outside its group (registered by ``sla`` in
# its AppConfig.ready: the matching policy's ``allow_delegation_outside_group``). Each takes the
# task and returns a bool; they read only, inside ``task_delegate``'s transaction.
outside_group_rules: list = []
