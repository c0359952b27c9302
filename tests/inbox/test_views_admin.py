"""View tests for the admin console and case actions: inbox admins only."""

import pytest
from django.urls import reverse

from inbox import lifecycle
from inbox.models import Case, OutboxCommand, TaskStatus
from tests.factories import SourceFactory, TaskFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_all_tasks_lists_every_task_with_assignee_and_source_filters(
    admin_client, group, other_group, assignee
):
    source = SourceFactory(name="lh")
    mine = TaskFactory(group=group, title="Alpha", user=assignee)
    other = TaskFactory(group=other_group, title="Beta", source=source)
    body = admin_client.get(reverse("inbox:admin_tasks")).content.decode()
    assert "Alpha" in body and "Beta" in body and 'name="task"' in body
    body = admin_client.get(reverse("inbox:admin_tasks"), {"user": "alice"}).content.decode()
    assert mine.title in body and other.title not in body
    body = admin_client.get(reverse("inbox:admin_tasks"), {"source": "lh"}, **HTMX).content.decode()
    assert other.title in body and mine.title not in body and "<html" not in body
    body = admin_client.get(reverse("inbox:admin_tasks"), {"status": "ASSIGNED"}).content.decode()
    assert mine.title in body and other.title not in body


def test_bulk_assign_reports_each_task(admin_client, group, member, assignee, admin):
    open_task = TaskFactory(group=group, title="Open one")
    done_task = TaskFactory(group=group, title="Done one", user=assignee)
    lifecycle.task_complete(task_id=done_task.pk, user=assignee, results={"approved": True})
    response = admin_client.post(
        reverse("inbox:admin_bulk"),
        {"assign": "1", "user": "bob", "task": [str(open_task.pk), str(done_task.pk)]},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Open one" in body and "assigned to bob" in body
    assert "Done one" in body and "can no longer change" in body
    assert "tasks-changed" in response["HX-Trigger"]
    open_task.refresh_from_db()
    assert open_task.assignee == member and open_task.status == TaskStatus.ASSIGNED


def test_bulk_cancel_needs_a_reason_and_works_without_js(admin_client, group):
    task = TaskFactory(group=group)
    response = admin_client.post(
        reverse("inbox:admin_bulk"), {"cancel": "1", "task": [str(task.pk)]}, **HTMX
    )
    assert "Give a reason" in response.content.decode()
    data = {"cancel": "1", "reason": "obsolete", "task": [str(task.pk)], "next": "/console/tasks/"}
    # Without JavaScript a confirmation page comes first and nothing changes yet.
    response = admin_client.post(reverse("inbox:admin_bulk"), data)
    body = response.content.decode()
    assert response.status_code == 200 and "Cancel 1 task?" in body and "Yes, cancel 1 task" in body
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED
    response = admin_client.post(reverse("inbox:admin_bulk"), {**data, "confirmed": "1"})
    assert response.status_code == 302 and response["Location"] == "/console/tasks/"
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_staff_cannot_post_bulk_actions(client, member, task):
    client.force_login(member)
    response = client.post(
        reverse("inbox:admin_bulk"), {"cancel": "1", "reason": "x", "task": [str(task.pk)]}
    )
    assert response.status_code == 404
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED


def test_pickers_search_users_and_groups(admin_client, member, group):
    UserFactory(username="zed", first_name="Zed", last_name="Zulu")
    body = admin_client.get(reverse("inbox:pick_users"), {"user": "bo"}).content.decode()
    assert '<option value="bob">' in body and "zed" not in body
    body = admin_client.get(reverse("inbox:pick_users"), {"q": "zulu"}).content.decode()
    assert '<option value="zed">' in body
    body = admin_client.get(reverse("inbox:pick_groups"), {"group": "fin"}).content.decode()
    assert '<option value="finance">' in body


def test_admin_assigns_from_the_task_page(admin_client, task, member, other_group):
    url = reverse("inbox:task", args=[task.pk])
    body = admin_client.get(url).content.decode()
    assert 'name="assign"' in body and 'list="user-options"' in body
    response = admin_client.post(url, {"assign": "1", "user": "bob"}, **HTMX)
    assert response.status_code == 200 and "Assigned to bob in finance." in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.assignee == member
    # routing to a group (no user) says what that means, not "Assigned to nobody"
    response = admin_client.post(url, {"assign": "1", "group": "legal"}, **HTMX)
    assert "Moved to legal: anyone there can claim it." in response["HX-Trigger"]
    assert "nobody" not in response["HX-Trigger"]


def test_assigning_to_an_unknown_user_shows_the_error_by_the_picker(admin_client, task):
    url = reverse("inbox:task", args=[task.pk])
    response = admin_client.post(url, {"assign": "1", "user": "nobody"})
    body = response.content.decode()
    assert response.status_code == 409 and "Unknown user" in body and 'value="nobody"' in body


def test_override_complete_requires_a_reason_and_keeps_values(admin_client, task):
    url = reverse("inbox:task", args=[task.pk])
    data = {"admin_complete": "1", "f_approved": "true", "f_note": "kept"}
    response = admin_client.post(url, data)
    body = response.content.decode()
    assert response.status_code == 400
    assert "Say why you override this task." in body and ">kept</textarea>" in body
    response = admin_client.post(url, {**data, "reason": "alice is away"}, **HTMX)
    assert response.status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert "Reason: alice is away" in response.content.decode()


def test_override_cancel_requires_a_reason(admin_client, task):
    url = reverse("inbox:task", args=[task.pk])
    response = admin_client.post(url, {"admin_cancel": "1", "cancel_reason": ""}, **HTMX)
    assert "Say why you override this task." in response.content.decode()
    response = admin_client.post(url, {"admin_cancel": "1", "cancel_reason": "duplicate"})
    assert "Cancel this task as admin?" in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED
    data = {"admin_cancel": "1", "cancel_reason": "duplicate", "confirmed": "1"}
    admin_client.post(url, data)
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_staff_cannot_use_admin_buttons(client, member, task):
    client.force_login(member)
    url = reverse("inbox:task", args=[task.pk])
    assert 'name="admin_cancel"' not in client.get(url).content.decode()
    response = client.post(url, {"admin_cancel": "1", "cancel_reason": "x"})
    assert response.status_code == 403
    response = client.post(url, {"assign": "1", "user": "bob"})
    assert response.status_code == 403
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED


def test_users_and_groups_page(admin_client, group, member, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=member)
    TaskFactory(group=group)
    body = admin_client.get(reverse("inbox:admin_users")).content.decode()
    assert "finance" in body and "alice, bob" in body or "bob, alice" in body
    response = admin_client.get(reverse("inbox:admin_users"), {"q": "bob"}, **HTMX)
    assert 'id="user-tables"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_group_counts_stop_at_the_cap_and_say_so(admin_client, group, other_group):
    from inbox.models import UserTask
    from inbox.queries import COUNT_CAP

    source = SourceFactory(name="bulk")
    UserTask.objects.bulk_create(
        UserTask(
            source=source, external_id=str(n), wf_run_id="r", task_type="t", title="x", group=group
        )
        for n in range(COUNT_CAP + 1)
    )
    TaskFactory(group=other_group)
    body = admin_client.get(reverse("inbox:admin_users")).content.decode()
    assert f"{COUNT_CAP}+" in body
    rows = {row.split("</td>")[0]: row for row in body.split('data-label="Group">')[1:]}
    assert f"{COUNT_CAP}+" in next(r for k, r in rows.items() if "finance" in k)
    assert f"{COUNT_CAP}+" not in next(r for k, r in rows.items() if "legal" in k)


def test_task_types_page(admin_client, task):
    body = admin_client.get(reverse("inbox:admin_task_types")).content.decode()
    assert "approval" in body and "Approved" in body and "required" in body


def test_sources_page_and_sync_now(admin_client):
    source = SourceFactory(
        name="uip-prod",
        kind="uipath",
        credentials={"client_secret": "s3cr3t-never-shown"},
        last_error="HTTP 503 from upstream",
        consecutive_failures=2,
    )
    body = admin_client.get(reverse("inbox:admin_sources")).content.decode()
    assert "uip-prod" in body and "HTTP 503 from upstream" in body and "failing" in body
    assert "s3cr3t" not in body
    response = admin_client.post(reverse("inbox:admin_sources"), {"sync": source.pk})
    assert response.status_code == 302
    response = admin_client.post(reverse("inbox:admin_sources"), {"sync": source.pk}, **HTMX)
    assert response.status_code == 200 and "Sync" in response["HX-Trigger"]
    assert admin_client.post(reverse("inbox:admin_sources"), {"sync": 99999}).status_code == 404


@pytest.fixture
def case(db):
    source = SourceFactory(name="cf", kind="cloudflare")
    return Case.objects.create(
        source=source, external_id="wf-1", name="Onboarding", status="running"
    )


def test_admin_sees_only_supported_case_actions_and_pauses(admin_client, case):
    url = reverse("inbox:case", args=[case.pk])
    body = admin_client.get(url).content.decode()
    assert 'name="pause"' in body and 'name="close"' in body and 'name="resume"' not in body
    response = admin_client.post(url, {"pause": "1"})
    assert response.status_code == 302
    assert OutboxCommand.objects.filter(case=case, action="case_pause").exists()
    # until the engine's new state is in, the page says so (and offers no second Pause)
    body = admin_client.get(url).content.decode()
    assert "Pausing…" in body and 'name="pause"' not in body and 'hx-trigger="every 3s' in body
    OutboxCommand.objects.filter(case=case).update(status=OutboxCommand.Status.DELIVERED)
    assert "Pausing…" in admin_client.get(url).content.decode()  # delivered, not yet polled
    Case.objects.filter(pk=case.pk).update(status="paused")  # the importer saw it
    body = admin_client.get(url).content.decode()
    assert "Pausing…" not in body and 'name="resume"' in body


def test_case_action_errors_show_inline(admin_client, case):
    url = reverse("inbox:case", args=[case.pk])
    response = admin_client.post(url, {"resume": "1"}, **HTMX)
    assert response.status_code == 200 and "Only a paused case" in response.content.decode()


def test_docusign_case_offers_close_only(admin_client):
    source = SourceFactory(name="ds", kind="docusign")
    case = Case.objects.create(source=source, external_id="d1", name="Signing", status="running")
    body = admin_client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert 'name="close"' in body and 'name="pause"' not in body


def test_staff_cannot_run_case_actions(client, member, group, case):
    TaskFactory(group=group, case=case, source=case.source)
    client.force_login(member)
    url = reverse("inbox:case", args=[case.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"pause": "1"}).status_code == 404
    assert not OutboxCommand.objects.filter(case=case).exists()


def test_admins_find_unroutable_tasks_in_their_own_queue(admin_client, admin, group):
    TaskFactory(group=group, title="Routed task")
    TaskFactory(title="Nobody's task", user=None)
    finished = TaskFactory(title="Finished stray")
    lifecycle.task_admin_cancel(task_id=finished.pk, actor=admin, message="dup")
    body = admin_client.get(reverse("inbox:admin_tasks"), {"unrouted": "1"}).content.decode()
    assert "Nobody&#x27;s task" in body or "Nobody's task" in body
    assert "Routed task" not in body
    assert "Finished stray" not in body  # nothing left to route


def test_case_close_asks_for_confirmation_with_and_without_js(admin_client, case):
    url = reverse("inbox:case", args=[case.pk])
    body = admin_client.get(url).content.decode()
    # htmx reads hx-confirm on the element that issues the request: the close form.
    assert f'<form method="post" hx-post="{url}" hx-confirm="Close this case in cf?' in body
    response = admin_client.post(url, {"close": "1"})
    assert response.status_code == 200 and "Yes, close the case" in response.content.decode()
    assert not OutboxCommand.objects.filter(case=case).exists()
    response = admin_client.post(url, {"close": "1", "confirmed": "1"})
    assert response.status_code == 302
    assert OutboxCommand.objects.filter(case=case, action="case_close").count() == 1
