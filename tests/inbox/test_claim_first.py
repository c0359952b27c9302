"""The claim written first (``inbox.lifecycle.claim_first``): one statement when every check
passes, the same rows and answer as the path that reads first, and the exact errors (through
that path) when a check fails."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from inbox import lifecycle
from inbox.api.task_rows import task_state
from inbox.errors import InboxError
from inbox.lifecycle.core import TASK_READ
from inbox.models import Case, OutboxCommand, Source, TaskEvent, UserTask
from notifications.models import EventOutbox
from tests.factories import SourceFactory, TaskFactory, UserFactory


def fresh(user) -> User:
    """The user as a session's request sees it: with its permission facts."""
    return User.objects.get(pk=user.pk)


def without_facts(user) -> User:
    """The user as a token's request sees it: no permission facts read yet."""
    return User.objects.filter(pk=user.pk).first()


def writes(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


def claim_rows(task) -> tuple:
    """What a claim left behind, without ids and times."""
    event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
    commands = [
        (c.action, c.status, c.requested_by_id, c.payload, c.source_id, c.case_id, c.attempts)
        for c in OutboxCommand.objects.filter(task=task)
    ]
    row = UserTask.objects.get(pk=task.pk)
    return (
        (row.status, row.assignee_id, row.version, row.delivery),
        (event.actor_id, event.actor_source_id, event.data, event.created_at == row.updated_at),
        EventOutbox.objects.filter(event=event).count(),
        commands,
    )


@pytest.fixture
def engine():
    return SourceFactory(name="uipath-first", kind=Source.Kind.UIPATH)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["engine", "local"])
def test_written_first_leaves_what_the_reading_path_leaves(kind, group, admin, engine):
    """A member's claim takes the one statement; an admin by permission whose facts were not
    read yet (a token's user) outside the task's group takes the path that reads first. Both
    leave the same task row, event, notification record and write-back, and answer alike."""
    source = engine if kind == "engine" else None
    case = Case.objects.create(source=engine, external_id="case-1", name="Case 1")
    case = case if kind == "engine" else None
    extra = {"source": source, "case": case} if source else {}
    member = UserFactory(username="m1", email="m1@example.com", groups=[group])
    admin.username, admin.email = "m2", "m2@example.com"
    admin.save()
    first = TaskFactory(group=group, external_id="x-1", wf_run_id="run-1", **extra)
    second = TaskFactory(group=group, external_id="x-1b", wf_run_id="run-1", **extra)

    user = fresh(member)
    with CaptureQueriesContext(connection) as captured:
        one = lifecycle.task_claim(task_id=first.id, user=user)
    assert len(writes(captured)) == 1
    user = without_facts(admin)
    with CaptureQueriesContext(connection) as captured:
        other = lifecycle.task_claim(task_id=second.id, user=user)
    assert len(writes(captured)) > 1  # the statement matched nothing; then read, check, write

    a, b = claim_rows(first), claim_rows(second)
    assert a[0][1:] == (member.pk, 2, "pending" if source else "")
    assert b[0][1:] == (admin.pk, 2, "pending" if source else "")
    assert a[1][2] == {
        "old_user": None,
        "old_group": {"id": group.pk, "name": group.name},
        "new_user": {"id": member.pk, "username": "m1"},
        "new_group": {"id": group.pk, "name": group.name},
    }
    assert a[1][0] == member.pk and a[1][1:] == (None, a[1][2], True)
    assert b[1][2] == {**a[1][2], "new_user": {"id": admin.pk, "username": "m2"}}
    assert a[2] == b[2] == 1
    if source:
        [(action, status, by, payload, source_id, case_id, attempts)] = a[3]
        assert (action, status, by, source_id, case_id, attempts) == (
            "claim",
            "pending",
            member.pk,
            engine.pk,
            case.pk,
            0,
        )
        assert payload == {
            "external_id": "x-1",
            "wf_run_id": "run-1",
            "user": "m1",
            "email": "m1@example.com",
        }
        [(*rest, other_payload, s2, c2, n2)] = b[3]
        assert other_payload == {
            **payload,
            "external_id": "x-1b",
            "user": "m2",
            "email": "m2@example.com",
        }
    else:
        assert a[3] == b[3] == []

    # The answer: the task as read_task reads it, with the change applied.
    for claimed, task in ((one, first), (other, second)):
        expected = TASK_READ.first(task.pk)
        expected.assignee = claimed.assignee
        assert task_state(claimed) == task_state(expected)
        assert claimed.source.pk == task.source_id and claimed.group.pk == group.pk
        assert (claimed.case.pk if claimed.case else None) == task.case_id


@pytest.mark.django_db
def test_if_match_claims_at_that_version_only(member, task):
    with pytest.raises(InboxError) as stale:
        lifecycle.task_claim(task_id=task.id, user=fresh(member), expected_version=7)
    assert stale.value.code == "precondition_failed"
    assert str(stale.value) == (
        "The task changed meanwhile: it is at version 1, not 7. Reload it and try again."
    )
    assert UserTask.objects.get(pk=task.pk).version == 1
    assert not TaskEvent.objects.filter(task=task, kind="ASSIGNED").exists()
    user = fresh(member)
    with CaptureQueriesContext(connection) as captured:
        claimed = lifecycle.task_claim(task_id=task.id, user=user, expected_version=1)
    assert len(writes(captured)) == 1
    assert (claimed.version, claimed.assignee_id) == (2, member.pk)


@pytest.mark.django_db
def test_admins_claim_any_group_in_the_one_statement(admin, other_group):
    task = TaskFactory(group=other_group)
    superuser = UserFactory(username="super", is_superuser=True)
    other = TaskFactory(group=None)
    for user, target in ((fresh(admin), task), (without_facts(superuser), other)):
        with CaptureQueriesContext(connection) as captured:
            claimed = lifecycle.task_claim(task_id=target.id, user=user)
        assert len(writes(captured)) == 1
        assert claimed.assignee_id == user.pk
        event = TaskEvent.objects.get(task=target, kind="ASSIGNED")
        expected_group = (
            {"id": other_group.pk, "name": other_group.name} if target.group_id else None
        )
        assert event.data["old_group"] == event.data["new_group"] == expected_group


@pytest.mark.django_db
def test_failed_checks_write_nothing_and_raise_the_exact_errors(
    assignee, member, outsider, group, task
):
    with pytest.raises(InboxError) as hidden:
        lifecycle.task_claim(task_id=task.id, user=fresh(outsider))
    assert hidden.value.code == "not_found"
    lifecycle.task_claim(task_id=task.id, user=fresh(assignee))
    for user, message in (
        (assignee, "Already claimed by you."),
        (member, "Already claimed by alice."),
    ):
        with pytest.raises(InboxError) as taken:
            lifecycle.task_claim(task_id=task.id, user=fresh(user))
        assert (taken.value.code, str(taken.value)) == ("assignment", message)
    done = TaskFactory(group=group)
    UserTask.objects.filter(pk=done.pk).update(status="DONE")
    with pytest.raises(InboxError) as terminal:
        lifecycle.task_claim(task_id=done.id, user=fresh(member))
    assert terminal.value.code == "task_state"
    other = TaskFactory(group=None)
    with pytest.raises(InboxError) as not_member:
        lifecycle.task_claim(task_id=other.id, user=fresh(member))
    assert not_member.value.code == "not_found"
    assert TaskEvent.objects.filter(kind="ASSIGNED").count() == 1


@pytest.mark.django_db
def test_an_unassigned_task_that_still_names_an_assignee_is_claimed_by_the_reading_path(
    assignee, member, task
):
    """Not written first (its event names the old user): the path that reads first claims it,
    with the old user in the event, as before."""
    UserTask.objects.filter(pk=task.pk).update(assignee=assignee)
    claimed = lifecycle.task_claim(task_id=task.id, user=fresh(member))
    assert claimed.assignee_id == member.pk
    event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
    assert event.data["old_user"] == {"id": assignee.pk, "username": assignee.username}


@pytest.mark.django_db
def test_with_notifications_off_the_claim_records_nothing(settings, member, task):
    settings.NOTIFICATIONS_ENABLED = False
    lifecycle.task_claim(task_id=task.id, user=fresh(member))
    event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
    assert not EventOutbox.objects.filter(event=event).exists()


@pytest.mark.django_db
def test_the_statement_stays_short_enough_for_psycopg_to_cache_its_conversion():
    """psycopg caches a statement's converted text only up to 4 kB (``_queries``); longer, it
    parses the text again on every claim."""
    from psycopg._queries import MAX_CACHED_STATEMENT_LENGTH

    from inbox.lifecycle.claim_first import _statement

    for with_version in (False, True):
        for notify in (False, True):
            sql = _statement(connection.alias, with_version, notify)
            assert len(sql.encode()) <= MAX_CACHED_STATEMENT_LENGTH
