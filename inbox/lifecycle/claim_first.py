"""The claim written first (PostgreSQL): one statement that claims the task if, and only if,
every check of a claim passes, writes everything a claim writes, and returns the claimed task.

``claim_first`` runs ONE statement and reads nothing before it::

    WITH u AS (UPDATE inbox_usertask SET status, assignee, version + 1, updated_at, delivery
               FROM inbox_source
               WHERE id = <task> AND status = 'UNASSIGNED' AND assignee IS NULL
                 AND <the source's kind supports claiming>
                 [AND version = <If-Match>]
                 AND (<caller is an admin> OR group_id IN <the caller's groups>)
               RETURNING the row),
         e AS (INSERT the ASSIGNED event, its data built from u and its group),
         n AS (INSERT its notifications outbox row),
         c AS (INSERT the write-back from u, for an engine's task only)
    SELECT the task as ``read_task`` reads it (source, case, group), from u, with the ids of
           e and c

The checks are those of ``staff.check_claimable`` (and the visibility ``read_task`` checks: a
claimable task is visible to whoever may claim it), written as the UPDATE's WHERE, so the
statement changes nothing unless the claim would succeed. The delivery flag is set as
``change_if_unchanged`` sets it (``flag_with_new_command``) when a write-back is added, and
left alone for a local task. The event's data, the write-back's payload and every other
column are the ones ``task_claim``'s slower path writes. Returns the claimed task, or None
when the statement matched no row: then nothing was written, and the caller takes the path that
reads the task and raises the precise error (absent or invisible, unsupported, version
mismatch, terminal, already claimed, not a member), or claims it if it has become claimable.

Exactly one winner: the UPDATE takes the row lock, and a concurrent claim that waited for it
re-checks the WHERE on the row the winner wrote (no longer UNASSIGNED), so it matches nothing.
Transactions: in the caller's transaction if there is one; outside any, the statement commits
on its own, and the pushes it asks for (the write-back's, the notifications pump) go out at
once, as with ``change_if_unchanged``. No lock beyond the UPDATE's row lock.

The admin flag is the caller's cached fact when it has been read (a session's user), or
superuser status; an admin by permission whose facts were not read yet (a token's user) is
matched by group only, and otherwise takes the slower path, which reads the facts. Its SQL text
is built once per database and shape (with or without If-Match, notifications on or off), so it
is prepared once per connection (``prepared_cursor``). Only on PostgreSQL: elsewhere
``claim_first`` returns None at once (SQLite takes the slower path).
"""

import functools
import uuid

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from config.compiled import prepared_cursor
from inbox.delivery import flag_with_new_command
from inbox.lifecycle.core import TASK_READ, schedule_outbox_push, task_pk
from inbox.models import Case, OutboxCommand, Source, TaskEvent, TaskStatus, UserTask
from inbox.sync.registry import capabilities
from notifications.record import events_recorded, record_part


def claim_first(*, task_id, user: User, expected_version: int | None = None) -> UserTask | None:
    """Claim the task in one statement when every check passes (see the module's docstring);
    the claimed task (with its source, group and case, the caller as assignee), or None when
    nothing was written. Raises NotFound only for a task id that is not a UUID."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or user.pk is None:
        return None
    pk = task_pk(task_id)
    alias = connection.alias
    notify = bool(settings.NOTIFICATIONS_ENABLED)
    sql = _statement(alias, expected_version is not None, notify)
    admin = bool(user.is_active and (user.is_superuser or getattr(user, "_is_inbox_admin", None)))
    params = [user.pk, timezone.now(), pk]
    if expected_version is not None:
        params.append(expected_version)
    params += [admin, user.pk, user.username, user.username, user.email, uuid.uuid4(), pk]
    with prepared_cursor(connection) as cursor:  # its SQL text is the same on every claim
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    event_id, command_id = row[-2], row[-1]
    task = TASK_READ.instance(row[:-2], alias)
    task.assignee = user
    if event_id is not None:
        events_recorded()  # the fan-out, when notifications are on
    if command_id is not None:
        schedule_outbox_push(command_id)
    return task


@functools.cache
def _statement(alias: str, with_version: bool, notify: bool) -> str:
    """The statement's SQL, built once per database and shape. Its constants (statuses, kinds,
    the delivery flag's values) are written into it as literals; the parameters are, in order:
    the caller's id, the time, the task id, [the If-Match version], the admin flag, the
    caller's id, username, username, e-mail, the write-back's idempotency key, the task id."""
    from django.db import connections

    connection = connections[alias]
    connection.ensure_connection()  # compose_sql quotes the literals through the connection
    q = connection.ops.quote_name

    def lit(value) -> str:
        return connection.ops.compose_sql("%s", [value])

    claimable = [k for k in Source.Kind.values if capabilities(k).supports_task("claim")]
    task_table, source_table = q(UserTask._meta.db_table), q(Source._meta.db_table)
    group_table = q(Group._meta.db_table)
    user_groups = q(User.groups.through._meta.db_table)
    event_table = q(TaskEvent._meta.db_table)
    command_table = q(OutboxCommand._meta.db_table)

    def col(model, name: str) -> str:
        return q(model._meta.get_field(name).column)

    t = task_table
    local = lit(Source.Kind.LOCAL.value)
    assignee, updated = col(UserTask, "assignee"), col(UserTask, "updated_at")
    flag_sql = connection.ops.compose_sql(*flag_with_new_command(alias))
    version_check = f" AND {t}.{col(UserTask, 'version')} = %s" if with_version else ""
    update = (
        f"UPDATE {t} SET {col(UserTask, 'status')} = {lit(TaskStatus.ASSIGNED.value)}, "
        f"{col(UserTask, 'assignee')} = %s, "
        f"{col(UserTask, 'version')} = {t}.{col(UserTask, 'version')} + 1, "
        f"{col(UserTask, 'updated_at')} = %s, "
        f"{col(UserTask, 'delivery')} = CASE WHEN s.{col(Source, 'kind')} = {local} "
        f"THEN {t}.{col(UserTask, 'delivery')} ELSE ({flag_sql}) END "
        f"FROM {source_table} s "
        f"WHERE {t}.{col(UserTask, 'id')} = %s "
        f"AND {t}.{col(UserTask, 'status')} = {lit(TaskStatus.UNASSIGNED.value)} "
        f"AND {t}.{col(UserTask, 'assignee')} IS NULL "
        f"AND s.{col(Source, 'id')} = {t}.{col(UserTask, 'source')} "
        f"AND s.{col(Source, 'kind')} IN ({', '.join(lit(k) for k in claimable)}){version_check} "
        f"AND (%s OR {t}.{col(UserTask, 'group')} IN "
        f"(SELECT group_id FROM {user_groups} WHERE user_id = %s)) "
        f"RETURNING {t}.*, s.{col(Source, 'kind')} AS source_kind"
    )
    group_ref = (
        f"(SELECT jsonb_build_object('id', g.id, 'name', g.name) FROM {group_table} g "
        f"WHERE g.id = u.{col(UserTask, 'group')})"
    )
    event = (
        f"INSERT INTO {event_table} ({col(TaskEvent, 'actor')}, {col(TaskEvent, 'actor_source')}, "
        f"{col(TaskEvent, 'data')}, {col(TaskEvent, 'created_at')}, {col(TaskEvent, 'task')}, "
        f"{col(TaskEvent, 'kind')}) "
        f"SELECT u.{assignee}, NULL, jsonb_build_object('old_user', NULL::jsonb, "
        f"'old_group', {group_ref}, 'new_user', jsonb_build_object('id', u.{assignee}, "
        f"'username', %s::text), 'new_group', {group_ref}), u.{updated}, "
        f"u.{col(UserTask, 'id')}, {lit(TaskEvent.Kind.ASSIGNED.value)} FROM u RETURNING id"
    )
    command_columns = (
        "source",
        "task",
        "case",
        "action",
        "payload",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "unconfirmed",
        "reconciled",
        "conflict_detail",
        "idempotency_key",
        "requested_by",
        "created_at",
        "delivered_at",
        "resolved_by",
        "resolved_at",
    )
    expected = {f.name for f in OutboxCommand._meta.concrete_fields if not f.primary_key}
    if set(command_columns) != expected:  # a new column: write it here too
        raise RuntimeError(f"claim_first: OutboxCommand columns changed: {sorted(expected)}")
    command = (
        f"INSERT INTO {command_table} ({', '.join(col(OutboxCommand, c) for c in command_columns)}) "
        f"SELECT u.{col(UserTask, 'source')}, u.{col(UserTask, 'id')}, u.{col(UserTask, 'case')}, "
        f"{lit(OutboxCommand.Action.CLAIM.value)}, "
        f"jsonb_build_object('external_id', u.{col(UserTask, 'external_id')}, "
        f"'wf_run_id', u.{col(UserTask, 'wf_run_id')}, 'user', %s::text, 'email', %s::text), "
        f"{lit(OutboxCommand.Status.PENDING.value)}, 0, u.{updated}, '', false, false, '', "
        f"%s::uuid, u.{assignee}, u.{updated}, NULL, NULL, NULL "
        f"FROM u WHERE u.source_kind <> {local} RETURNING id"
    )
    final = _final_select(alias, task_table)
    parts = [f"u AS ({update})", f"e AS ({event})"]
    if notify:
        parts.append(record_part("e"))
    parts.append(f"c AS ({command})")
    sql = f"WITH {', '.join(parts)} {final}"
    return sql


def _final_select(alias: str, task_table: str) -> str:
    """``TASK_READ``'s SELECT (the task with its source, case and group) reading the row ``u``
    returned, with the ids ``e`` and ``c`` returned; the tables it joins are given short
    aliases: psycopg converts a statement's text once and caches it only up to 4 kB."""
    from django.db import connections

    q = connections[alias].ops.quote_name
    read_sql = TASK_READ.statement(uuid.UUID(int=1), alias)[0]
    head, sep, tail = read_sql.partition(f" FROM {task_table} ")
    if not sep:
        raise RuntimeError("claim_first: unexpected shape of the task read")
    sql = f"{head}, (SELECT id FROM e), (SELECT id FROM c) FROM u {tail}"
    sql = sql.replace(f"{task_table}.", "u.")
    joined = {Source: "js", Case: "jc", Group: "jg"}
    for model, short in joined.items():
        table = q(model._meta.db_table)
        if f" JOIN {table} ON " not in sql:
            raise RuntimeError(f"claim_first: the task read no longer joins {table}")
        sql = sql.replace(f" JOIN {table} ON ", f" JOIN {table} {short} ON ")
        sql = sql.replace(f"{table}.", f"{short}.")
    return sql
