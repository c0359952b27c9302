"""The task state machine: the ONLY code that changes a task's status, assignee or group.

```
UNASSIGNED --claim (member of the task's group)------------> ASSIGNED (to the caller)
UNASSIGNED --assign (admin: user and/or group)-------------> ASSIGNED, or UNASSIGNED with a new group
ASSIGNED   --release (assignee)----------------------------> UNASSIGNED (stays in its group)
ASSIGNED   --assign (admin)--------------------------------> ASSIGNED to another user / UNASSIGNED
ASSIGNED   --complete (assignee, results valid)------------> DONE
ASSIGNED   --delegate (assignee; admin any)----------------> ASSIGNED to a member of the group
UNASSIGNED|ASSIGNED --cancel (assignee; admin any)---------> CANCELLED
UNASSIGNED|ASSIGNED --admin complete (results valid)--------> DONE
DONE, CANCELLED: terminal. Any operation on them -> TaskStateError.
```

Rules every function here follows: keyword-only arguments; one transaction; the task row is
locked with ``SELECT ... FOR UPDATE`` before anything is checked (a claim, the hot path, is
first written as one statement whose WHERE holds its checks (``claim_first``, PostgreSQL); when
that matches nothing it tries optimistically: read unlocked, check, one ``UPDATE ... WHERE
version = <read>``, and only on losing that race locks and checks again); checks run in the order
visibility (NotFound) -> expected version (VersionMismatch) -> state (TaskStateError) ->
permission (Forbidden / AssignmentError); the row is changed and ``version`` bumped; TaskEvent
rows are appended; for tasks owned by an engine an OutboxCommand is written in the same
transaction and its push is scheduled with ``transaction.on_commit``.

Engine-driven changes (``task_upstream_*``) take the source as actor and write no outbox
command: the engine already knows. The one exception is out of office: a task the engine assigned
to someone away goes to their substitute, and that assignment is written back.
"""

from inbox.lifecycle.admin import task_admin_cancel, task_admin_complete, task_assign
from inbox.lifecycle.away import route_assignee, tasks_return_for_absences
from inbox.lifecycle.cases import case_events_append
from inbox.lifecycle.comments import comment_add, comment_delete, comment_edit
from inbox.lifecycle.core import local_source, schedule_outbox_push
from inbox.lifecycle.creation import task_create
from inbox.lifecycle.delegation import outside_group_allowed, task_delegate
from inbox.lifecycle.escalation import Escalation, task_escalate, tasks_escalate, tasks_set_due
from inbox.lifecycle.retire import tasks_retire_for_source
from inbox.lifecycle.staff import task_cancel, task_claim, task_complete, task_release
from inbox.lifecycle.upstream import (
    task_record_writeback_failure,
    task_record_writeback_outcome,
    task_upstream_adopt,
    task_upstream_apply,
    task_upstream_end,
    tasks_upstream_create,
)

__all__ = [
    "Escalation",
    "case_events_append",
    "comment_add",
    "comment_delete",
    "comment_edit",
    "local_source",
    "outside_group_allowed",
    "route_assignee",
    "schedule_outbox_push",
    "task_admin_cancel",
    "task_admin_complete",
    "task_assign",
    "task_cancel",
    "task_claim",
    "task_complete",
    "task_delegate",
    "task_create",
    "task_escalate",
    "tasks_escalate",
    "task_record_writeback_failure",
    "task_record_writeback_outcome",
    "task_release",
    "task_upstream_adopt",
    "task_upstream_apply",
    "task_upstream_end",
    "tasks_retire_for_source",
    "tasks_set_due",
    "tasks_return_for_absences",
    "tasks_upstream_create",
]
