"""A claim at the floor: its round trips are counted, and the fast path keeps every effect (the
history event, the notification record, the write-back and the delivery flag, the 409s)."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_token_create
from inbox import lifecycle
from inbox.errors import InboxError
from inbox.models import OutboxCommand, Source, TaskEvent, UserTask
from notifications.fanout import pump
from notifications.models import EventOutbox, FeedEntry
from tests.factories import SourceFactory, TaskFactory, UserFactory

# A claim's statements, BEGIN/COMMIT (here SAVEPOINT/RELEASE) aside: ONE statement (the claim
# written first, ``inbox.lifecycle.claim_first``) for the conditional UPDATE with its checks, the
# event, its notification record and, for an engine's task, the write-back with its delivery
# flag, returning the claimed task (on PostgreSQL; outside a transaction it commits on its
# own). The permission facts came with the request's user (``fresh``: the session's user read
# brings them in its round trip); a user without them (a token's) is matched by group in the
# statement itself. A claim that fails its checks reads the task afterwards, for the error.
LOCAL_CLAIM = 2 + 2
ENGINE_CLAIM = 2 + 2


@pytest.fixture
def engine():
    return SourceFactory(name="uipath-claims", kind=Source.Kind.UIPATH)


def fresh(user) -> User:
    """The user as a request sees it: a new instance with its permission facts (read with it)."""
    return User.objects.get(pk=user.pk)


def statements(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]


@pytest.mark.django_db
def test_a_local_claim_makes_three_statements_and_leaves_its_event_and_notification(
    assignee, task, django_assert_max_num_queries
):
    user = fresh(assignee)
    with (
        django_assert_max_num_queries(LOCAL_CLAIM),
        CaptureQueriesContext(connection) as captured,
    ):
        claimed = lifecycle.task_claim(task_id=task.id, user=user)
    assert len(statements(captured)) == 1

    row = UserTask.objects.get(pk=task.pk)
    assert (row.status, row.assignee_id, row.version) == ("ASSIGNED", assignee.pk, 2)
    assert (claimed.version, claimed.delivery) == (2, "")
    event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
    assert event.actor_id == assignee.pk
    assert event.data == {
        "old_user": None,
        "old_group": {"id": task.group_id, "name": "finance"},
        "new_user": {"id": assignee.pk, "username": "alice"},
        "new_group": {"id": task.group_id, "name": "finance"},
    }
    assert EventOutbox.objects.filter(event=event).count() == 1
    assert not OutboxCommand.objects.filter(task=task).exists()  # local: nothing to write back
    before = FeedEntry.objects.count()
    pump()
    assert FeedEntry.objects.filter(event=event).exists()
    assert FeedEntry.objects.count() > before


@pytest.mark.django_db
def test_an_engine_claim_also_writes_back_and_flags_the_delivery(
    assignee, group, engine, django_capture_on_commit_callbacks
):
    task = TaskFactory(group=group, source=engine, external_id="job-7")
    user = fresh(assignee)
    with (
        django_capture_on_commit_callbacks() as callbacks,
        CaptureQueriesContext(connection) as captured,
    ):
        claimed = lifecycle.task_claim(task_id=task.id, user=user)
    assert len(captured.captured_queries) <= ENGINE_CLAIM
    assert len(statements(captured)) == 1
    # the write-back's push is queued for after the commit (the notifications pump already is:
    # once per transaction, and creating the task in this test's transaction queued it)
    assert [c.__qualname__ for c in callbacks] == ["schedule_outbox_push.<locals>.<lambda>"]
    assert any(entry[1].__name__ == "_send_pump" for entry in connection.run_on_commit)

    command = OutboxCommand.objects.get(task=task)
    assert (command.action, command.status, command.requested_by_id) == (
        "claim",
        "pending",
        assignee.pk,
    )
    assert command.payload["external_id"] == "job-7"
    assert command.payload["user"] == "alice"
    assert UserTask.objects.get(pk=task.pk).delivery == "pending"
    assert claimed.delivery == "pending"
    event = TaskEvent.objects.get(task=task, kind="ASSIGNED")
    assert EventOutbox.objects.filter(event=event).count() == 1


@pytest.mark.django_db
def test_the_delivery_flag_keeps_a_stuck_write_back_ahead_of_the_new_one(assignee, group, engine):
    task = TaskFactory(group=group, source=engine, external_id="job-8")
    lifecycle.task_claim(task_id=task.id, user=assignee)
    OutboxCommand.objects.filter(task=task).update(status="failed")
    lifecycle.task_release(task_id=task.id, user=fresh(assignee))
    assert UserTask.objects.get(pk=task.pk).delivery == "failed"
    OutboxCommand.objects.filter(task=task).update(status="delivered")
    claimed = lifecycle.task_claim(task_id=task.id, user=fresh(assignee))
    assert claimed.delivery == "pending"
    assert UserTask.objects.get(pk=task.pk).delivery == "pending"


@pytest.mark.django_db
def test_refusals_keep_their_order_and_change_nothing(assignee, member, outsider, task):
    lifecycle.task_claim(task_id=task.id, user=assignee)
    with pytest.raises(InboxError) as taken:
        lifecycle.task_claim(task_id=task.id, user=fresh(member))
    assert (taken.value.code, str(taken.value)) == ("assignment", "Already claimed by alice.")
    with pytest.raises(InboxError) as hidden:
        lifecycle.task_claim(task_id=task.id, user=fresh(outsider))
    assert hidden.value.code == "not_found"
    with pytest.raises(InboxError) as stale:
        lifecycle.task_claim(task_id=task.id, user=fresh(member), expected_version=1)
    assert stale.value.code == "precondition_failed"
    row = UserTask.objects.get(pk=task.pk)
    assert (row.assignee_id, row.version) == (assignee.pk, 2)
    assert TaskEvent.objects.filter(task=task, kind="ASSIGNED").count() == 1


@pytest.mark.django_db
def test_the_api_claim_answers_the_task_without_rereading_its_history(assignee, group, engine):
    task = TaskFactory(group=group, source=engine, external_id="job-9")
    _, raw = api_token_create(user=assignee, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    with CaptureQueriesContext(connection) as captured:
        response = client.post(f"/api/v1/tasks/{task.id}/claim/", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["assignee"]["username"], body["version"]) == (
        "ASSIGNED",
        "alice",
        2,
    )
    assert body["delivery"] == "pending"
    assert body["fields"][0]["name"] and body["context"] == {}
    assert response["ETag"] == '"2"'
    assert "events" not in body
    sql = " ".join(statements(captured))
    assert "inbox_comment" not in sql and 'FROM "inbox_taskevent"' not in sql
    # token, its last use, facts, read, UPDATE, event, write-back with its delivery flag
    assert len(statements(captured)) <= 7

    again = client.post(f"/api/v1/tasks/{task.id}/claim/", HTTP_IF_MATCH='"1"')
    assert again.status_code == 412
    detail = client.get(f"/api/v1/tasks/{task.id}/").json()
    assert [e["kind"] for e in detail["events"]] == ["CREATED", "ASSIGNED"]
    assert [w["action"] for w in detail["write_backs"]] == ["claim"]


@pytest.mark.django_db
def test_an_admin_claims_a_groupless_task_and_reads_utc_times(admin):
    """The compiled task read turns a task without a group into ``group: null``; the one
    shared answer serializer keeps the API's times in UTC whatever the caller's profile zone."""
    task = TaskFactory(group=None, title="Orphan step")
    admin.time_zone = "Asia/Tokyo"
    admin.save(update_fields=["time_zone"])
    _, raw = api_token_create(user=admin, name="tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    body = client.post(f"/api/v1/tasks/{task.id}/claim/").json()
    assert (body["title"], body["group"], body["assignee"]["username"]) == (
        "Orphan step",
        None,
        "root",
    )
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    assert UserTask.objects.get(pk=task.pk).assignee_id == admin.pk


@pytest.mark.django_db
def test_permission_facts_come_with_the_user_read(admin, member, group):
    """A request's user (``User.objects.get(pk=...)``, the session's read) brings its admin
    flag and group ids in the same round trip: reading them costs no query of its own."""
    for person, is_admin, groups in ((admin, True, []), (member, False, [group.pk])):
        with CaptureQueriesContext(connection) as captured:
            user = fresh(person)
        assert len(captured.captured_queries) == 2  # the user and the facts, sent together
        with CaptureQueriesContext(connection) as captured:
            assert user.is_inbox_admin is is_admin
            assert user.group_ids() == groups
            assert user.is_inbox_admin is is_admin
            assert user.group_ids() == groups
        assert len(captured.captured_queries) == 0


@pytest.mark.django_db
def test_a_user_without_facts_reads_them_once(admin, member, group):
    for person, is_admin, groups in ((admin, True, []), (member, False, [group.pk])):
        user = User.objects.filter(pk=person.pk).first()  # not the session's read: no facts
        with CaptureQueriesContext(connection) as captured:
            assert user.is_inbox_admin is is_admin
            assert user.group_ids() == groups
            assert user.is_inbox_admin is is_admin
            assert user.group_ids() == groups
        assert len(captured.captured_queries) == 1


@pytest.mark.django_db
def test_a_group_granting_the_admin_permission_makes_an_admin(member, group):
    from django.contrib.auth.models import Permission

    assert fresh(member).is_inbox_admin is False
    group.permissions.add(Permission.objects.get(codename="administer_tasks"))
    assert fresh(member).is_inbox_admin is True
    member.is_active = False
    member.save()
    assert fresh(member).is_inbox_admin is False


@pytest.mark.django_db
def test_the_claimable_page_reads_permissions_once(member, task):
    client = Client()
    client.force_login(member)
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/claimable/")
    assert response.status_code == 200
    assert task.title in response.content.decode()
    permission_reads = [q for q in statements(captured) if "auth_permission" in q]
    assert len(permission_reads) == 1


@pytest.mark.django_db
def test_the_row_claim_swaps_the_row_and_writes_back(member, group, engine):
    task = TaskFactory(group=group, source=engine, external_id="job-10")
    client = Client()
    client.force_login(member)
    response = client.post(
        f"/tasks/{task.id}/row/", {"claim": "1", "scope": "claimable"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'name="release"' in response.content.decode()  # the row now offers Release
    assert OutboxCommand.objects.filter(task=task, action="claim").count() == 1
    assert UserTask.objects.get(pk=task.pk).delivery == "pending"


@pytest.mark.django_db(transaction=True)
def test_a_claim_racing_a_release_ends_consistent(group):
    holder = UserFactory(username="holder", groups=[group])
    claimers = [UserFactory(username=f"late{i}", groups=[group]) for i in range(6)]
    task = TaskFactory(group=group)
    lifecycle.task_claim(task_id=task.id, user=holder)
    barrier = threading.Barrier(len(claimers) + 1)
    outcomes = {}

    def run(name, work):
        try:
            barrier.wait()
            work()
            outcomes[name] = "ok"
        except InboxError as error:
            outcomes[name] = error.code
        finally:
            connection.close()

    works = [("release", lambda: lifecycle.task_release(task_id=task.id, user=fresh(holder)))]
    works += [
        (u.username, lambda u=u: lifecycle.task_claim(task_id=task.id, user=fresh(u)))
        for u in claimers
    ]
    threads = [threading.Thread(target=run, args=w) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes["release"] == "ok"
    winners = [name for name, outcome in outcomes.items() if name != "release" and outcome == "ok"]
    assert len(winners) <= 1
    assert all(outcomes[u.username] in ("ok", "assignment") for u in claimers)
    row = UserTask.objects.get(pk=task.pk)
    claims = TaskEvent.objects.filter(task=task, kind="ASSIGNED").count()
    if winners:
        assert (row.status, row.assignee.username, row.version) == ("ASSIGNED", winners[0], 4)
        assert claims == 3  # holder's claim, the release, the winner's claim
    else:
        assert (row.status, row.assignee_id, row.version) == ("UNASSIGNED", None, 3)
        assert claims == 2
