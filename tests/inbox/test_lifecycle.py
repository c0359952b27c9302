"""The task state machine, table-driven over states x operations x roles."""

import pytest

from inbox import lifecycle
from inbox.errors import (
    AssignmentError,
    Forbidden,
    NotFound,
    TaskStateError,
    ValidationError,
    VersionMismatch,
)
from inbox.models import OutboxCommand, TaskEvent, TaskStatus
from tests.factories import SourceFactory, TaskFactory

GOOD_RESULTS = {"approved": True, "amount": 10.5}
ROLES = ("assignee", "member", "outsider", "admin")
STATES = ("UNASSIGNED", "ASSIGNED", "DONE", "CANCELLED")


@pytest.fixture
def people(assignee, member, outsider, admin):
    return {"assignee": assignee, "member": member, "outsider": outsider, "admin": admin}


def make_task(state, group, people):
    """A finance task in ``state``; when held, it is held by the assignee."""
    task = TaskFactory(group=group)
    if state in ("ASSIGNED", "DONE", "CANCELLED"):
        lifecycle.task_claim(task_id=task.id, user=people["assignee"])
    if state == "DONE":
        lifecycle.task_complete(task_id=task.id, user=people["assignee"], results=GOOD_RESULTS)
    if state == "CANCELLED":
        lifecycle.task_cancel(task_id=task.id, user=people["assignee"], message="no")
    task.refresh_from_db()
    assert task.status == state
    return task


def run(op, task, user, people, other_group):
    if op == "claim":
        return lifecycle.task_claim(task_id=task.id, user=user)
    if op == "release":
        return lifecycle.task_release(task_id=task.id, user=user)
    if op == "complete":
        return lifecycle.task_complete(task_id=task.id, user=user, results=GOOD_RESULTS)
    if op == "cancel":
        return lifecycle.task_cancel(task_id=task.id, user=user, message="stop")
    if op == "assign":
        return lifecycle.task_assign(task_id=task.id, actor=user, user=people["member"])
    if op == "assign_group":
        return lifecycle.task_assign(task_id=task.id, actor=user, group=other_group)
    if op == "admin_complete":
        return lifecycle.task_admin_complete(
            task_id=task.id, actor=user, results=GOOD_RESULTS, reason="override"
        )
    if op == "admin_cancel":
        return lifecycle.task_admin_cancel(task_id=task.id, actor=user, message="override")
    raise AssertionError(op)


# (state, op, role) -> (status after, assignee role after, event kind) or an exception class.
# Outsiders never see finance tasks, so every outsider cell is NotFound.
T = TaskStateError
EXPECTED = {
    ("UNASSIGNED", "claim", "member"): ("ASSIGNED", "member", "ASSIGNED"),
    ("UNASSIGNED", "claim", "assignee"): ("ASSIGNED", "assignee", "ASSIGNED"),
    ("UNASSIGNED", "claim", "admin"): ("ASSIGNED", "admin", "ASSIGNED"),
    ("ASSIGNED", "claim", "assignee"): AssignmentError,
    ("ASSIGNED", "claim", "member"): AssignmentError,
    ("ASSIGNED", "claim", "admin"): AssignmentError,
    ("UNASSIGNED", "release", "member"): T,
    ("UNASSIGNED", "release", "assignee"): T,
    ("UNASSIGNED", "release", "admin"): T,
    ("ASSIGNED", "release", "assignee"): ("UNASSIGNED", None, "ASSIGNED"),
    ("ASSIGNED", "release", "member"): Forbidden,
    ("ASSIGNED", "release", "admin"): Forbidden,
    ("UNASSIGNED", "complete", "member"): T,
    ("UNASSIGNED", "complete", "assignee"): T,
    ("UNASSIGNED", "complete", "admin"): T,
    ("ASSIGNED", "complete", "assignee"): ("DONE", "assignee", "COMPLETED"),
    ("ASSIGNED", "complete", "member"): Forbidden,
    ("ASSIGNED", "complete", "admin"): Forbidden,
    ("UNASSIGNED", "cancel", "member"): Forbidden,
    ("UNASSIGNED", "cancel", "assignee"): Forbidden,
    ("UNASSIGNED", "cancel", "admin"): ("CANCELLED", None, "CANCELLED"),
    ("ASSIGNED", "cancel", "assignee"): ("CANCELLED", "assignee", "CANCELLED"),
    ("ASSIGNED", "cancel", "member"): Forbidden,
    ("ASSIGNED", "cancel", "admin"): ("CANCELLED", "assignee", "CANCELLED"),
    ("UNASSIGNED", "assign", "admin"): ("ASSIGNED", "member", "ASSIGNED"),
    ("ASSIGNED", "assign", "admin"): ("ASSIGNED", "member", "ASSIGNED"),
    ("UNASSIGNED", "assign_group", "admin"): ("UNASSIGNED", None, "ASSIGNED"),
    ("ASSIGNED", "assign_group", "admin"): ("UNASSIGNED", None, "ASSIGNED"),
    ("UNASSIGNED", "admin_complete", "admin"): ("DONE", None, "COMPLETED"),
    ("ASSIGNED", "admin_complete", "admin"): ("DONE", "assignee", "COMPLETED"),
    ("UNASSIGNED", "admin_cancel", "admin"): ("CANCELLED", None, "CANCELLED"),
    ("ASSIGNED", "admin_cancel", "admin"): ("CANCELLED", "assignee", "CANCELLED"),
}
OPS = (
    "claim",
    "release",
    "complete",
    "cancel",
    "assign",
    "assign_group",
    "admin_complete",
    "admin_cancel",
)


def expected_outcome(state, op, role):
    if role == "outsider":
        return NotFound
    if op in ("assign", "assign_group", "admin_complete", "admin_cancel") and role != "admin":
        return Forbidden
    if state in ("DONE", "CANCELLED"):
        return TaskStateError
    return EXPECTED[(state, op, role)]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("state", STATES)
def test_transition_table(state, op, role, group, other_group, people):
    task = make_task(state, group, people)
    before_version, before_events = task.version, task.events.count()
    outcome = expected_outcome(state, op, role)
    user = people[role]

    if isinstance(outcome, type):
        with pytest.raises(outcome):
            run(op, task, user, people, other_group)
        task.refresh_from_db()
        assert task.status == state, "a refused operation changes nothing"
        assert task.version == before_version
        assert task.events.count() == before_events
        return

    status, holder, event_kind = outcome
    run(op, task, user, people, other_group)
    task.refresh_from_db()
    assert task.status == status
    assert task.assignee == (people[holder] if holder else None)
    assert task.group == (other_group if op == "assign_group" else group)
    assert task.version == before_version + 1
    new_events = list(task.events.order_by("id")[before_events:])
    assert [e.kind for e in new_events] == [event_kind]
    assert new_events[0].actor == user
    if status in ("DONE", "CANCELLED"):
        assert task.completed_at is not None


def test_claim_and_release_record_old_and_new_holders(task, assignee):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    lifecycle.task_release(task_id=task.id, user=assignee)
    claimed, released = task.events.filter(kind=TaskEvent.Kind.ASSIGNED).order_by("id")
    assert claimed.data["old_user"] is None
    assert claimed.data["new_user"]["username"] == "alice"
    assert released.data["old_user"]["username"] == "alice"
    assert released.data["new_user"] is None
    assert released.data["new_group"]["name"] == "finance"


def test_complete_stores_typed_results_and_records_them(task, assignee):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    done = lifecycle.task_complete(
        task_id=task.id, user=assignee, results={"approved": "true", "count": "4"}
    )
    assert done.results == {
        "approved": {"type": "BOOLEAN", "value": True},
        "count": {"type": "INTEGER", "value": 4},
    }
    event = task.events.get(kind="COMPLETED")
    assert event.data["results"] == done.results


def test_complete_with_bad_results_changes_nothing(task, assignee):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    with pytest.raises(ValidationError) as exc:
        lifecycle.task_complete(task_id=task.id, user=assignee, results={"count": 1.5})
    assert set(exc.value.fields) == {"approved", "count"}
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    assert task.results == {}


def test_a_stale_expected_version_is_refused(task, assignee):
    with pytest.raises(VersionMismatch):
        lifecycle.task_claim(task_id=task.id, user=assignee, expected_version=task.version + 1)
    claimed = lifecycle.task_claim(task_id=task.id, user=assignee, expected_version=task.version)
    assert claimed.version == task.version + 1


def test_an_unknown_or_malformed_task_id_is_not_found(assignee):
    with pytest.raises(NotFound):
        lifecycle.task_claim(task_id="not-a-uuid", user=assignee)
    with pytest.raises(NotFound):
        lifecycle.task_claim(task_id="00000000-0000-0000-0000-000000000000", user=assignee)


def test_assign_needs_a_user_or_a_group(task, admin):
    with pytest.raises(ValidationError) as exc:
        lifecycle.task_assign(task_id=task.id, actor=admin)
    assert set(exc.value.fields) == {"user", "group"}


def test_assign_to_unknown_names_is_an_assignment_error(task, admin):
    with pytest.raises(AssignmentError):
        lifecycle.task_assign(task_id=task.id, actor=admin, user="nobody")
    with pytest.raises(AssignmentError):
        lifecycle.task_assign(task_id=task.id, actor=admin, group="no-such-group")


def test_assign_by_name_moves_task_to_user_and_group(task, admin, outsider, other_group):
    lifecycle.task_assign(task_id=task.id, actor=admin, user="mallory", group="legal")
    task.refresh_from_db()
    assert (task.status, task.assignee, task.group) == ("ASSIGNED", outsider, other_group)
    event = task.events.get(kind="ASSIGNED")
    assert event.data["old_group"]["name"] == "finance"
    assert event.data["new_user"]["username"] == "mallory"


def test_assigning_to_the_current_holder_changes_nothing(task, admin, assignee):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    task.refresh_from_db()
    lifecycle.task_assign(task_id=task.id, actor=admin, user=assignee)
    after = type(task).objects.get(pk=task.pk)
    assert after.version == task.version
    assert after.events.count() == task.events.count()


def test_local_tasks_write_no_outbox_commands(task, assignee):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    lifecycle.task_complete(task_id=task.id, user=assignee, results=GOOD_RESULTS)
    assert not OutboxCommand.objects.exists()


def test_engine_tasks_queue_a_write_back_per_change(group, assignee):
    source = SourceFactory(name="lh")
    task = TaskFactory(group=group, source=source, external_id="guid-1", wf_run_id="wf-1")
    lifecycle.task_claim(task_id=task.id, user=assignee)
    lifecycle.task_complete(task_id=task.id, user=assignee, results=GOOD_RESULTS)
    commands = list(OutboxCommand.objects.order_by("id"))
    assert [c.action for c in commands] == ["claim", "complete"]
    assert all(c.status == "pending" and c.source == source for c in commands)
    assert commands[1].payload["external_id"] == "guid-1"
    assert commands[1].payload["wf_run_id"] == "wf-1"
    assert commands[1].payload["results"]["approved"] == {"type": "BOOLEAN", "value": True}
    assert commands[0].idempotency_key != commands[1].idempotency_key


def test_task_create_requires_admin_and_valid_input(member, admin, group):
    with pytest.raises(Forbidden):
        lifecycle.task_create(actor=member, title="x", task_type="t", group=group)
    with pytest.raises(ValidationError) as exc:
        lifecycle.task_create(actor=admin, title=" ", task_type="", context=[1])
    assert set(exc.value.fields) == {"title", "type", "context"}
    with pytest.raises(ValidationError):
        lifecycle.task_create(
            actor=admin, title="x", task_type="t", fields=[{"name": "a", "type": "BLOB"}]
        )


def test_task_create_with_a_user_is_assigned_and_records_creation(admin, member, group):
    task = lifecycle.task_create(
        actor=admin, title="Pay invoice", task_type="pay", group=group, user=member
    )
    assert (task.status, task.assignee, task.version) == ("ASSIGNED", member, 1)
    event = task.events.get()
    assert event.kind == "CREATED" and event.actor == admin
    assert task.source.name == "local"


class TestComments:
    def test_anyone_who_sees_the_task_may_comment(self, task, member, assignee):
        comment = lifecycle.comment_add(task_id=task.id, user=member, text=" hello ")
        assert comment.text == "hello"
        assert task.events.get(kind="COMMENT_ADDED").data["comment_id"] == comment.pk

    def test_outsiders_cannot_comment(self, task, outsider):
        with pytest.raises(NotFound):
            lifecycle.comment_add(task_id=task.id, user=outsider, text="hi")

    def test_empty_comments_are_refused(self, task, member):
        with pytest.raises(ValidationError):
            lifecycle.comment_add(task_id=task.id, user=member, text="   ")

    def test_only_the_author_edits_or_deletes(self, task, member, assignee):
        comment = lifecycle.comment_add(task_id=task.id, user=member, text="first")
        with pytest.raises(Forbidden):
            lifecycle.comment_edit(task_id=task.id, comment_id=comment.pk, user=assignee, text="x")
        with pytest.raises(Forbidden):
            lifecycle.comment_delete(task_id=task.id, comment_id=comment.pk, user=assignee)
        edited = lifecycle.comment_edit(
            task_id=task.id, comment_id=comment.pk, user=member, text="second"
        )
        assert edited.text == "second" and edited.edited_at is not None
        lifecycle.comment_delete(task_id=task.id, comment_id=comment.pk, user=member)
        comment.refresh_from_db()
        assert comment.deleted
        kinds = list(task.events.values_list("kind", flat=True).order_by("id"))
        assert kinds[-3:] == ["COMMENT_ADDED", "COMMENT_EDITED", "COMMENT_DELETED"]
        with pytest.raises(NotFound):
            lifecycle.comment_edit(task_id=task.id, comment_id=comment.pk, user=member, text="z")

    def test_comments_are_allowed_on_finished_tasks(self, task, assignee):
        lifecycle.task_claim(task_id=task.id, user=assignee)
        lifecycle.task_complete(task_id=task.id, user=assignee, results=GOOD_RESULTS)
        assert lifecycle.comment_add(task_id=task.id, user=assignee, text="done!").pk
