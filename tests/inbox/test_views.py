"""View tests for the staff pages: lists, row actions, the task page and its actions."""

import json
import re

import pytest
from django.urls import reverse

from inbox import lifecycle
from inbox.models import Case, Comment, TaskStatus
from tests.factories import SourceFactory, TaskFactory

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, user):
    client.force_login(user)
    return client


def toasts(response) -> list[str]:
    raw = response.headers.get("HX-Trigger")
    return [t["message"] for t in json.loads(raw)["toast"]] if raw else []


# --- access ------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["inbox:home", "inbox:claimable", "inbox:history", "inbox:cases", "inbox:admin_tasks"]
)
def test_it_sends_anonymous_visitors_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_it_redirects_the_whole_page_when_an_htmx_session_ended(client, task):
    response = client.get(reverse("inbox:claimable"), **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("account_login"))


@pytest.mark.parametrize(
    "name",
    [
        "inbox:admin_tasks",
        "inbox:admin_users",
        "inbox:admin_task_types",
        "inbox:admin_sources",
        "inbox:pick_users",
        "inbox:pick_groups",
    ],
)
def test_staff_cannot_reach_admin_pages(client, member, name):
    login(client, member)
    assert client.get(reverse(name)).status_code == 404


def test_staff_nav_hides_admin_links_and_admin_nav_shows_them(client, member, admin):
    login(client, member)
    body = client.get(reverse("inbox:home")).content.decode()
    assert "My tasks" in body and "Claimable" in body and "History" in body and "Cases" in body
    assert "All tasks" not in body and "Sign out" in body and "bob" in body
    login(client, admin)
    body = client.get(reverse("inbox:home"), follow=True).content.decode()
    for label in ("All tasks", "Users &amp; groups", "Task types", "Sources"):
        assert label in body


def test_an_admin_in_no_group_lands_on_all_tasks_until_they_hold_one(client, admin, task):
    login(client, admin)
    response = client.get(reverse("inbox:home"), follow=True)
    assert response.redirect_chain == [(reverse("inbox:admin_tasks"), 302)]
    body = response.content.decode()
    assert "<h1>All tasks</h1>" in body and "Pick something up from Claimable" not in body
    lifecycle.task_assign(task_id=task.pk, actor=admin, user=admin)
    body = client.get(reverse("inbox:home")).content.decode()
    assert "<h1>My tasks</h1>" in body and task.title in body


def test_the_page_carries_csrf_in_hx_headers_and_htmx_from_static(client, member):
    login(client, member)
    body = client.get(reverse("inbox:home")).content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in body
    assert "/static/django_htmx/htmx" in body
    assert "https://" not in body.split("<body")[0]  # no CDN in the head


# --- lists --------------------------------------------------------------------------------------


def test_claimable_lists_the_group_tasks_with_a_claim_button(client, member, task):
    login(client, member)
    response = client.get(reverse("inbox:claimable"))
    body = response.content.decode()
    assert response.status_code == 200
    assert task.title in body and 'name="claim"' in body
    assert "<html" in body


def test_outsider_does_not_see_the_group_tasks(client, outsider, task):
    login(client, outsider)
    body = client.get(reverse("inbox:claimable")).content.decode()
    assert task.title not in body


def test_filters_answer_htmx_with_the_list_fragment_only(client, member, group):
    TaskFactory(group=group, title="Lisbon trip", context={"customer": "Globex"})
    TaskFactory(group=group, title="Chairs", context={"customer": "Initech"})
    login(client, member)
    response = client.get(reverse("inbox:claimable"), {"q": "lisbon"}, **HTMX)
    body = response.content.decode()
    assert "<html" not in body and 'id="task-list"' in body
    assert "<mark>Lisbon</mark> trip" in body and "Chairs" not in body  # the match highlighted
    response = client.get(
        reverse("inbox:claimable"), {"ctx_key": "customer", "ctx_value": "Initech"}, **HTMX
    )
    body = response.content.decode()
    assert "Chairs" in body and "Lisbon trip" not in body


def test_a_bad_filter_shows_a_message_not_an_error_page(client, member, task):
    login(client, member)
    response = client.get(reverse("inbox:claimable"), {"created_after": "soon"})
    assert response.status_code == 200
    assert "created_after" in response.content.decode()


def test_group_picker_narrows_claimable_to_one_group(client, group, other_group, task):
    from tests.factories import UserFactory

    both = UserFactory(username="dana", groups=[group, other_group])
    legal_task = TaskFactory(group=other_group, title="Legal thing")
    login(client, both)
    body = client.get(reverse("inbox:claimable"), {"group": "legal"}).content.decode()
    assert legal_task.title in body and task.title not in body


def test_load_more_pages_with_a_bookmark(client, member, group, settings):
    settings.INBOX_PAGE_SIZE = 2
    tasks = [TaskFactory(group=group, title=f"Paged {n}") for n in range(3)]
    login(client, member)
    body = client.get(reverse("inbox:claimable")).content.decode()
    assert "Load more" in body and tasks[2].title not in body
    bookmark = body.split("bookmark=")[1].split('"')[0]
    more = client.get(reverse("inbox:claimable"), {"bookmark": bookmark}, **HTMX)
    text = more.content.decode()
    assert tasks[2].title in text and tasks[0].title not in text and "<table" not in text


def test_polling_answers_204_when_nothing_changed_and_the_list_when_it_did(client, member, task):
    login(client, member)
    response = client.get(reverse("inbox:claimable"))
    stamp = response["ETag"].strip('"')
    poll = client.get(reverse("inbox:claimable"), {"stamp": stamp, "shown": 1}, **HTMX)
    assert poll.status_code == 204
    TaskFactory(group=task.group, title="Fresh one")
    poll = client.get(reverse("inbox:claimable"), {"stamp": stamp, "shown": 1}, **HTMX)
    assert poll.status_code == 200 and "Fresh one" in poll.content.decode()


def test_history_lists_done_and_cancelled_tasks(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    lifecycle.task_complete(task_id=task.pk, user=assignee, results={"approved": True})
    login(client, assignee)
    assert task.title in client.get(reverse("inbox:history")).content.decode()
    assert task.title not in client.get(reverse("inbox:home")).content.decode()


def test_history_shows_the_most_recent_work_first(client, assignee, group):
    older = TaskFactory(group=group, title="Older request")
    newer = TaskFactory(group=group, title="Newer request")
    for task in (older, newer):
        lifecycle.task_claim(task_id=task.pk, user=assignee)
        lifecycle.task_cancel(task_id=task.pk, user=assignee)
    login(client, assignee)
    body = client.get(reverse("inbox:history")).content.decode()
    assert body.index("Newer request") < body.index("Older request")
    body = client.get(reverse("inbox:history"), {"order": "oldest"}).content.decode()
    assert body.index("Older request") < body.index("Newer request")


# --- row actions ---------------------------------------------------------------------------------


def test_row_claim_without_js_redirects_back(client, member, task):
    login(client, member)
    response = client.post(
        reverse("inbox:task_row", args=[task.pk]),
        {"claim": "1", "scope": "claimable", "next": "/claimable/?q=x"},
    )
    assert response.status_code == 302 and response["Location"] == "/claimable/?q=x"
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED and task.assignee == member


def test_row_claim_with_htmx_swaps_the_row_and_toasts(client, member, task):
    login(client, member)
    response = client.post(
        reverse("inbox:task_row", args=[task.pk]), {"claim": "1", "scope": "claimable"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.strip().startswith("<tr") and 'name="release"' in body
    assert any("Claimed" in t for t in toasts(response))


def test_row_claim_of_a_claimed_task_says_who_has_it(client, member, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, member)
    response = client.post(
        reverse("inbox:task_row", args=[task.pk]), {"claim": "1", "scope": "claimable"}, **HTMX
    )
    assert response.status_code == 200
    assert "Already claimed by alice" in response.content.decode()
    # without JS: a message and a redirect
    response = client.post(reverse("inbox:task_row", args=[task.pk]), {"claim": "1"}, follow=True)
    assert "Already claimed by alice" in response.content.decode()


def test_row_release(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    response = client.post(
        reverse("inbox:task_row", args=[task.pk]), {"release": "1", "scope": "mine"}, **HTMX
    )
    # the row leaves My tasks at once (no Claim button on a task that is no longer mine)
    assert response.status_code == 200 and response.content.decode().strip() == ""
    assert any("Released" in t for t in toasts(response))
    task.refresh_from_db()
    assert task.status == TaskStatus.UNASSIGNED
    # a claim from Claimable keeps the row, with Release to undo it
    response = client.post(
        reverse("inbox:task_row", args=[task.pk]), {"claim": "1", "scope": "claimable"}, **HTMX
    )
    assert 'name="release"' in response.content.decode()


def test_row_actions_on_an_invisible_task_are_404(client, outsider, task):
    login(client, outsider)
    response = client.post(reverse("inbox:task_row", args=[task.pk]), {"claim": "1"})
    assert response.status_code == 404


# --- task page -----------------------------------------------------------------------------------


def test_outsider_gets_404_on_the_task_page(client, outsider, task):
    login(client, outsider)
    assert client.get(reverse("inbox:task", args=[task.pk])).status_code == 404
    assert client.post(reverse("inbox:task", args=[task.pk]), {"claim": "1"}).status_code == 404


def test_task_page_renders_typed_inputs(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    # A BOOLEAN is an explicit Yes/No choice with nothing preselected.
    assert '<fieldset class="choice" id="field-approved"' in body
    assert 'type="radio" name="f_approved" value="true"' in body
    assert 'type="radio" name="f_approved" value="false"' in body
    assert "checked" not in body.split('id="field-approved"')[1].split("</fieldset>")[0]
    assert 'type="number" step="any"' in body and 'name="f_amount"' in body
    assert 'type="number" step="1"' in body and 'name="f_count"' in body
    assert '<textarea id="field-note"' in body
    assert 'class="req"' in body  # required mark


def test_field_description_is_shown_as_help(client, assignee, group):
    task = TaskFactory(
        group=group,
        fields=[
            {"name": "x", "type": "STRING", "description": "Say it plainly.", "required": True}
        ],
    )
    login(client, assignee)
    assert "Say it plainly." in client.get(reverse("inbox:task", args=[task.pk])).content.decode()


def test_claim_from_the_task_page(client, member, task):
    login(client, member)
    response = client.post(reverse("inbox:task", args=[task.pk]), {"claim": "1"})
    assert response.status_code == 302
    response = client.post(reverse("inbox:task", args=[task.pk]), {"release": "1"}, **HTMX)
    assert response.status_code == 200 and 'id="task-body"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_validation_errors_sit_next_to_fields_and_keep_values(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    data = {"complete": "1", "f_approved": "true", "f_count": "1.5", "f_note": "hello"}
    response = client.post(reverse("inbox:task", args=[task.pk]), data)
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="field-count-err"' in body and "Must be a whole number." in body
    assert 'value="1.5"' in body and ">hello</textarea>" in body
    assert 'value="true" checked' in body
    # htmx: the same fragment, status 200 so it swaps
    response = client.post(reverse("inbox:task", args=[task.pk]), data, **HTMX)
    assert response.status_code == 200 and "Must be a whole number." in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED


def test_complete_with_valid_values(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    data = {"complete": "1", "f_approved": "true", "f_count": "2", "f_amount": "9.5"}
    response = client.post(reverse("inbox:task", args=[task.pk]), data, **HTMX)
    assert response.status_code == 200 and any("Completed" in t for t in toasts(response))
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE
    assert task.results["approved"]["value"] is True and task.results["count"]["value"] == 2


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
def test_completing_without_choosing_is_refused_with_a_field_error(client, assignee, task, htmx):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    response = client.post(
        reverse("inbox:task", args=[task.pk]), {"complete": "1"}, **(HTMX if htmx else {})
    )
    body = response.content.decode()
    assert response.status_code == (200 if htmx else 400)
    assert 'id="field-approved-err"' in body and "Choose Yes or No." in body
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED and not task.results


@pytest.mark.parametrize("htmx", [False, True], ids=["no-js", "htmx"])
def test_reject_asks_for_confirmation_then_completes(client, assignee, task, htmx):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    url = reverse("inbox:task", args=[task.pk])
    extra = HTMX if htmx else {}
    response = client.post(url, {"complete": "1", "f_approved": "false", "f_note": "no"}, **extra)
    body = response.content.decode()
    assert response.status_code == 200 and "data-confirm-reject" in body and "Yes, reject" in body
    assert 'value="false" checked' in body and ">no</textarea>" in body  # answers kept
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    data = {"complete": "1", "f_approved": "false", "f_note": "no", "confirmed": "1"}
    client.post(url, data, **extra)
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.results["approved"]["value"] is False


def test_approve_needs_no_confirmation(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    client.post(reverse("inbox:task", args=[task.pk]), {"complete": "1", "f_approved": "true"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.results["approved"]["value"] is True


def test_completing_a_task_someone_else_completed_shows_a_clear_message(
    client, assignee, admin, task
):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    lifecycle.task_admin_complete(
        task_id=task.pk, actor=admin, results={"approved": True}, reason="x"
    )
    login(client, assignee)
    data = {"complete": "1", "f_approved": "true"}
    response = client.post(reverse("inbox:task", args=[task.pk]), data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200
    assert "root completed this task meanwhile" in body
    response = client.post(reverse("inbox:task", args=[task.pk]), data)
    assert (
        response.status_code == 409 and "completed this task meanwhile" in response.content.decode()
    )


def test_claiming_a_task_someone_else_claimed_on_the_task_page(client, assignee, member, task):
    login(client, member)
    client.get(reverse("inbox:task", args=[task.pk]))
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    response = client.post(reverse("inbox:task", args=[task.pk]), {"claim": "1"}, **HTMX)
    assert "Already claimed by alice" in response.content.decode()


def test_staff_cancel_own_task(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, assignee)
    url = reverse("inbox:task", args=[task.pk])
    body = client.get(url).content.decode()
    assert f'hx-post="{url}" hx-confirm="Cancel' in body  # htmx asks on the form it posts
    # Without JavaScript: a confirmation page first, nothing changed yet.
    response = client.post(url, {"cancel": "1", "message": "dup"})
    body = response.content.decode()
    assert response.status_code == 200 and "Cancel this task?" in body
    assert 'name="confirmed" value="1"' in body and 'name="message" value="dup"' in body
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
    response = client.post(url, {"cancel": "1", "message": "dup", "confirmed": "1"})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


def test_member_cannot_complete_someone_elses_task(client, assignee, member, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, member)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert 'name="complete"' not in body and "Only alice can complete" in body
    response = client.post(
        reverse("inbox:task", args=[task.pk]), {"complete": "1", "f_approved": "true"}
    )
    assert response.status_code == 403
    assert "Already claimed by alice" in response.content.decode()


# --- comments and timeline -----------------------------------------------------------------------


def test_comments_add_edit_delete_own(client, member, task):
    login(client, member)
    url = reverse("inbox:task", args=[task.pk])
    response = client.post(url, {"comment_add": "1", "text": "Looking into it"}, **HTMX)
    assert "Looking into it" in response.content.decode()
    comment = Comment.objects.get(task=task)
    response = client.post(url, {"comment_edit": comment.pk, "text": "Done soon"}, **HTMX)
    assert "Done soon" in response.content.decode() and "(edited)" in response.content.decode()
    body = client.get(url).content.decode()
    assert 'hx-confirm="Delete this comment?" hx-vals=\'{"confirmed": "1"}\'' in body
    response = client.post(url, {"comment_delete": comment.pk})
    assert response.status_code == 200 and "Delete this comment?" in response.content.decode()
    comment.refresh_from_db()
    assert not comment.deleted
    response = client.post(url, {"comment_delete": comment.pk, "confirmed": "1"})
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.deleted


def test_empty_comment_shows_an_error_next_to_the_box(client, member, task):
    login(client, member)
    response = client.post(reverse("inbox:task", args=[task.pk]), {"comment_add": "1", "text": " "})
    assert response.status_code == 400 and "Write something." in response.content.decode()


def test_cannot_edit_someone_elses_comment(client, member, assignee, task):
    comment = lifecycle.comment_add(task_id=task.pk, user=assignee, text="mine")
    login(client, member)
    url = reverse("inbox:task", args=[task.pk])
    body = client.get(url).content.decode()
    assert f'name="comment_delete" value="{comment.pk}"' not in body
    response = client.post(url, {"comment_edit": comment.pk, "text": "hijack"})
    assert response.status_code == 403
    comment.refresh_from_db()
    assert comment.text == "mine"


def test_an_engine_task_says_it_was_imported_who_holds_it_in_the_engine_and_where_it_lives(
    client, member, admin, group
):
    from datetime import timedelta

    from django.utils import timezone

    engine = SourceFactory(name="uipath-x", kind="uipath")
    task = TaskFactory(
        group=group,
        source=engine,
        external_id="t-1",
        created_at=timezone.now() - timedelta(days=30),
    )
    UserTaskModel = type(task)
    UserTaskModel.objects.filter(pk=task.pk).update(upstream_assignee="dave@example.com")
    login(client, member)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert "brought the task into the inbox in finance (created in the engine" in body
    assert 'dave@example.com <span class="muted">(assignee in the engine, no inbox account)' in body
    # the breadcrumb leads back to where the task is listed for this person
    assert '<nav class="crumbs" aria-label="Breadcrumb"><a href="/claimable/">Claimable</a>' in body
    lifecycle.task_claim(task_id=task.pk, user=member)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert '<nav class="crumbs" aria-label="Breadcrumb"><a href="/">My tasks</a>' in body
    login(client, admin)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert (
        '<nav class="crumbs" aria-label="Breadcrumb"><a href="/console/tasks/">All tasks</a>'
        in body
    )


def test_history_says_when_an_admin_finished_your_task(client, assignee, admin, group):
    mine = TaskFactory(group=group, title="Done by me", user=assignee)
    lifecycle.task_complete(task_id=mine.pk, user=assignee, results={"approved": True})
    overridden = TaskFactory(group=group, title="Done by admin", user=assignee)
    lifecycle.task_admin_complete(
        task_id=overridden.pk, actor=admin, results={"approved": True}, reason="on leave"
    )
    login(client, assignee)
    body = client.get(reverse("inbox:history")).content.decode()
    rows = {
        title: body[body.index(title) :].split("</tr>")[0]
        for title in ("Done by me", "Done by admin")
    }
    assert "by root, not you" in rows["Done by admin"]
    assert "not you" not in rows["Done by me"]


def test_timeline_reads_like_sentences(client, assignee, task):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    lifecycle.task_release(task_id=task.pk, user=assignee)
    login(client, assignee)
    body = client.get(reverse("inbox:task", args=[task.pk])).content.decode()
    assert "created the task in finance" in body
    assert "claimed it" in body and "released it back to the group" in body


# --- cases ---------------------------------------------------------------------------------------


@pytest.fixture
def case(db):
    source = SourceFactory(name="uip", kind="uipath")
    case = Case.objects.create(
        source=source,
        external_id="case-1",
        name="Loan 42",
        status="running",
        progress_done=1,
        progress_total=3,
        history=[{"event": "started", "at": "2026-01-01"}],
    )
    case.stages.create(
        external_id="s1",
        name="Intake",
        position=0,
        status="Completed",
        sla={"duration": "P1D"},
        tasks=[[{"id": "ext-1", "name": "Check docs", "status": "open"}]],
    )
    return case


def test_case_list_and_detail_for_staff_with_a_task_in_it(client, member, group, case):
    task = TaskFactory(group=group, source=case.source, external_id="ext-1", case=case)
    login(client, member)
    body = client.get(reverse("inbox:cases")).content.decode()
    assert "Loan 42" in body and "1/3" in body
    body = client.get(reverse("inbox:case", args=[case.pk])).content.decode()
    assert "Intake" in body and "P1D" in body and "started" in body
    assert reverse("inbox:task", args=[task.pk]) in body
    assert 'name="pause"' not in body  # staff get no case actions


def test_outsider_gets_404_on_a_case(client, outsider, case):
    login(client, outsider)
    assert client.get(reverse("inbox:case", args=[case.pk])).status_code == 404
    assert "Loan 42" not in client.get(reverse("inbox:cases")).content.decode()


# --- account pages ---------------------------------------------------------------------------------


def test_sign_in_by_username_lands_on_my_tasks(client, member):
    response = client.post(
        reverse("account_login"), {"login": "bob", "password": "pw-for-tests-only"}, follow=True
    )
    assert response.status_code == 200 and "My tasks" in response.content.decode()


def test_wrong_password_shows_an_error_on_the_styled_page(client, member):
    response = client.post(reverse("account_login"), {"login": "bob", "password": "nope"})
    body = response.content.decode()
    assert 'class="auth-card"' in body and 'class="alert error"' in body and 'value="bob"' in body


@pytest.mark.parametrize(
    "path",
    ["/accounts/login/", "/accounts/password/reset/", "/accounts/password/reset/done/"],
)
def test_account_pages_are_styled(client, db, path):
    body = client.get(path).content.decode()
    assert 'class="auth-card"' in body and "/static/css/inbox.css" in body


def test_a_bad_reset_link_says_so(client, db):
    response = client.get("/accounts/password/reset/key/1-bad-key/", follow=True)
    assert "Link expired" in response.content.decode()


def test_sign_out_page_and_post(client, member):
    client.force_login(member)
    assert "Sign out of the inbox" in client.get(reverse("account_logout")).content.decode()
    response = client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert client.get(reverse("inbox:home")).status_code == 302


def test_history_is_ordered_by_when_you_finished_with_a_completed_column(client, assignee, group):
    first_created = TaskFactory(group=group, title="Created first, finished last")
    second_created = TaskFactory(group=group, title="Created second, finished first")
    for task in (second_created, first_created):  # finish in the opposite order
        lifecycle.task_claim(task_id=task.pk, user=assignee)
        lifecycle.task_complete(task_id=task.pk, user=assignee, results={"approved": True})
    login(client, assignee)
    body = client.get(reverse("inbox:history")).content.decode()
    assert re.search(
        r'<th aria-sort="descending"><a [^>]*data-sort="completed">Completed</a>', body
    )
    assert body.index("Created first, finished last") < body.index("Created second, finished first")
    # The keyset walks completed_at across pages too (API, one task per page).
    from tests.api.conftest import client_for

    api = client_for(assignee)
    page = api.get("/api/v1/tasks/", {"scope": "history", "limit": 1}).json()  # newest: default
    key = "results" if "results" in page else "userTasks"
    titles = [page[key][0]["title"]]
    page = api.get(
        "/api/v1/tasks/",
        {"scope": "history", "limit": 1, "bookmark": page["bookmark"]},
    ).json()
    titles.append(page[key][0]["title"])
    assert titles == ["Created first, finished last", "Created second, finished first"]


def test_task_page_polls_its_version_and_tells_the_holder_about_a_reassignment(
    client, assignee, member, admin, task
):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    task.refresh_from_db()
    login(client, assignee)
    url = reverse("inbox:task", args=[task.pk])
    body = client.get(url).content.decode()
    assert f'hx-get="{url}?v={task.version}"' in body
    response = client.get(url, {"v": task.version}, **HTMX)
    assert response.status_code == 204 and response["ETag"] == f'"{task.version}"'
    lifecycle.task_assign(task_id=task.pk, actor=admin, user="bob")
    response = client.get(url, {"v": task.version}, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and 'id="task-body"' in body and "<html" not in body
    assert "Reassigned to bob by root." in body and 'name="complete"' not in body
    # A stale Complete from the old holder says what happened, not "Already claimed".
    response = client.post(url, {"complete": "1", "f_approved": "true"}, **HTMX)
    body = response.content.decode()
    assert "Reassigned to bob by root" in body and "Already claimed" not in body
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED and task.assignee == member


def test_a_reject_by_someone_who_may_not_complete_is_refused_without_a_question(
    client, assignee, member, task
):
    lifecycle.task_claim(task_id=task.pk, user=assignee)
    login(client, member)
    url = reverse("inbox:task", args=[task.pk])
    response = client.post(url, {"complete": "1", "f_approved": "false"})
    assert response.status_code == 403 and "data-confirm-reject" not in response.content.decode()
    task.refresh_from_db()
    assert task.status == TaskStatus.ASSIGNED
