"""Sources never overlap silently; disabling or deleting one can retire its open tasks; admins
delete sources from the console and the API."""

import pytest
from django.urls import reverse

from inbox import lifecycle
from inbox.models import OutboxCommand, Source, TaskEvent, TaskStatus, UserTask
from inbox.source_overlap import find_overlap, normalise_url
from tests.api.conftest import assert_error, client_for
from tests.factories import SourceFactory, TaskFactory

pytestmark = pytest.mark.django_db
CF = {"account_id": "acc-1", "workflows": ["approvals", "refunds"]}


@pytest.fixture
def cloudflare(db):
    return SourceFactory(
        name="cf-main", kind="cloudflare", base_url="http://127.0.0.1:8103/client/v4", watch=CF
    )


@pytest.fixture
def api(admin):
    return client_for(admin)


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def _new(**overrides):
    return {
        "name": "cf-copy",
        "kind": "cloudflare",
        "base_url": "http://127.0.0.1:8103/client/v4/",
        "watch": {"account_id": "acc-1", "workflows": ["refunds"]},
        **overrides,
    }


# --- overlap -----------------------------------------------------------------------------------


def test_adding_a_source_that_watches_the_same_workflow_is_refused_naming_the_other(
    api, cloudflare
):
    body = assert_error(
        api.post("/api/v1/admin/sources/", _new(), format="json"), 400, "validation"
    )
    assert "'cf-main'" in body["message"] and "refunds" in body["fields"]["watch"][0]
    assert not Source.objects.filter(name="cf-copy").exists()


def test_override_saves_an_overlapping_source_for_a_migration(api, cloudflare):
    response = api.post("/api/v1/admin/sources/", _new(override=True), format="json")
    assert response.status_code == 201, response.content
    assert "override" not in response.json()


@pytest.mark.parametrize(
    "changes",
    [
        {"watch": {"account_id": "acc-1", "workflows": ["other"]}},
        {"watch": {"account_id": "acc-2", "workflows": ["refunds"]}},
        {"base_url": "http://127.0.0.1:9999/client/v4"},
        {"enabled": False},
    ],
)
def test_sources_that_watch_different_things_are_fine(api, cloudflare, changes):
    response = api.post("/api/v1/admin/sources/", _new(**changes), format="json")
    assert response.status_code == 201, response.content


def test_enabling_a_disabled_duplicate_is_refused(api, cloudflare):
    copy = api.post("/api/v1/admin/sources/", _new(enabled=False), format="json").json()
    response = api.patch(f"/api/v1/admin/sources/{copy['id']}/", {"enabled": True}, format="json")
    body = assert_error(response, 400, "validation")
    assert "cf-main" in body["message"]
    response = api.patch(
        f"/api/v1/admin/sources/{copy['id']}/", {"enabled": True, "override": True}, format="json"
    )
    assert response.status_code == 200 and response.json()["enabled"] is True


@pytest.mark.parametrize(
    "kind, mine, theirs, overlaps",
    [
        ("uipath", {"org": "a", "tenant": "t", "folder_id": 1}, {"org": "a", "tenant": "t", "folder_id": 1}, True),
        ("uipath", {"org": "a", "tenant": "t", "process_keys": ["p1"]}, {"org": "a", "tenant": "t", "process_keys": ["p2"]}, False),
        ("uipath", {"org": "a", "tenant": "t"}, {"org": "a", "tenant": "u"}, False),
        ("docusign", {"account_id": "x", "workflow_ids": ["w1"]}, {"account_id": "x", "workflow_ids": ["w1", "w2"]}, True),
        ("docusign", {"account_id": "x", "workflow_ids": ["w1"]}, {"account_id": "y", "workflow_ids": ["w1"]}, False),
        ("strategy", {"instance_sids": ["s1"]}, {"instance_sids": ["s1"]}, True),
        ("strategy", {"instance_sids": ["s1"]}, {"instance_sids": ["s2"]}, False),
        ("littlehorse", {}, {"tenant": "default"}, True),
        ("littlehorse", {"tenant": "a"}, {"tenant": "b"}, False),
        ("littlehorse", {"task_types": ["t1"]}, {"task_types": ["t2"]}, False),
    ],
)  # fmt: skip
def test_overlap_is_defined_per_engine(kind, mine, theirs, overlaps):
    SourceFactory(
        name="existing", kind=kind, base_url="https://Engine.example.com:443/x/", watch=theirs
    )
    found = find_overlap(kind=kind, base_url="https://u:p@engine.example.com/x", watch=mine)
    assert (found is not None) == overlaps
    if overlaps:
        assert "'existing'" in found.describe()


def test_urls_compare_without_userinfo_default_ports_or_trailing_slash():
    assert normalise_url("HTTPS://u:p@Host.example:443/a/") == normalise_url(
        "https://host.example/a"
    )
    assert normalise_url("http://h:8080/") != normalise_url("http://h/")


def test_the_console_form_refuses_an_overlap_and_offers_the_override(admin_client, cloudflare):
    form = {
        "name": "cf-copy",
        "kind": "cloudflare",
        "base_url": "http://127.0.0.1:8103/client/v4",
        "watch": '{"account_id": "acc-1", "workflows": ["approvals"]}',
        "mapping": "{}",
        "poll_interval": "30",
        "enabled": "on",
    }
    response = admin_client.post(reverse("inbox:admin_source_new"), form)
    body = response.content.decode()
    assert response.status_code == 400
    assert "cf-main" in body and 'name="override"' in body
    response = admin_client.post(reverse("inbox:admin_source_new"), {**form, "override": "1"})
    assert response.status_code == 302
    assert Source.objects.filter(name="cf-copy", enabled=True).exists()


# --- retiring open tasks -----------------------------------------------------------------------


@pytest.fixture
def engine_tasks(cloudflare, group, assignee):
    open_one = TaskFactory(source=cloudflare, external_id="e-1", group=group, title="Open one")
    held = TaskFactory(source=cloudflare, external_id="e-2", group=group, title="Held one")
    lifecycle.task_claim(task_id=held.id, user=assignee)
    done = TaskFactory(source=cloudflare, external_id="e-3", group=group, title="Done one")
    lifecycle.task_upstream_end(task_id=done.id, source=cloudflare, status=TaskStatus.DONE)
    OutboxCommand.objects.all().delete()
    return open_one, held, done


def test_disabling_with_retire_cancels_open_tasks_locally_and_says_why(
    api, admin, cloudflare, engine_tasks
):
    open_one, held, done = engine_tasks
    response = api.patch(
        f"/api/v1/admin/sources/{cloudflare.pk}/",
        {"enabled": False, "retire_open_tasks": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    statuses = dict(UserTask.objects.values_list("external_id", "status"))
    assert statuses == {"e-1": "CANCELLED", "e-2": "CANCELLED", "e-3": "DONE"}
    event = TaskEvent.objects.filter(task_id=held.id, kind="CANCELLED").get()
    assert event.actor == admin and "cf-main was disabled" in event.data["message"]
    assert "nothing was sent to the engine" in event.data["message"]
    assert not OutboxCommand.objects.exists()  # nothing written back


def test_disabling_without_retire_leaves_tasks_open(api, cloudflare, engine_tasks):
    api.patch(f"/api/v1/admin/sources/{cloudflare.pk}/", {"enabled": False}, format="json")
    assert UserTask.objects.filter(status__in=["UNASSIGNED", "ASSIGNED"]).count() == 2


def test_disabling_in_the_console_offers_to_retire(admin_client, cloudflare, engine_tasks):
    url = reverse("inbox:admin_source_edit", args=[cloudflare.pk])
    page = admin_client.get(url).content.decode()
    assert "retire its 2 open tasks" in page
    form = {
        "name": "cf-main",
        "kind": "cloudflare",
        "base_url": cloudflare.base_url,
        "watch": '{"account_id": "acc-1", "workflows": ["approvals"]}',
        "mapping": "{}",
        "poll_interval": "30",
        "retire_open_tasks": "1",
    }
    assert admin_client.post(url, form).status_code == 302
    assert not UserTask.objects.filter(status__in=["UNASSIGNED", "ASSIGNED"]).exists()


def test_pending_write_backs_of_a_retired_source_are_not_sent(
    api, cloudflare, engine_tasks, assignee
):
    open_one, held, done = engine_tasks
    lifecycle.task_release(task_id=held.id, user=assignee)  # queues a write-back
    assert OutboxCommand.objects.filter(status="pending").count() == 1
    api.delete(f"/api/v1/admin/sources/{cloudflare.pk}/")
    command = OutboxCommand.objects.get()
    assert command.status == "resolved" and "was retired" in command.conflict_detail
    held.refresh_from_db()
    assert held.delivery == ""  # no decision is left shown as "on its way" for ever


# --- deleting ----------------------------------------------------------------------------------


def test_the_console_deletes_a_source_with_history_keeping_it(
    admin_client, cloudflare, engine_tasks
):
    sources_page = admin_client.get(reverse("inbox:admin_sources")).content.decode()
    url = reverse("inbox:admin_source_delete", args=[cloudflare.pk])
    assert url in sources_page
    confirm = admin_client.get(url).content.decode()
    assert "2 open tasks will be retired" in confirm and "keeps its history" in confirm
    response = admin_client.post(url, {"delete": "1"})
    assert response.status_code == 302
    page = admin_client.get(reverse("inbox:admin_sources")).content.decode()
    assert "Source cf-main deleted. 2 open task(s) retired. Its history is kept." in page
    assert "<strong>cf-main" not in page and "--deleted-" not in page
    kept = Source.objects.get(pk=cloudflare.pk)
    assert kept.deleted_at and not kept.enabled and kept.name.startswith("cf-main--deleted-")
    assert UserTask.objects.filter(source=kept).count() == 3  # history stays
    assert admin_client.get(url).status_code == 404
    # the name is free again
    SourceFactory(name="cf-main", kind="cloudflare")


def test_deleting_a_source_without_history_removes_it(api):
    source = SourceFactory(name="empty-one", kind="docusign")
    response = api.delete(f"/api/v1/admin/sources/{source.pk}/")
    assert response.json() == {"name": "empty-one", "kept_history": False, "retired_tasks": 0}
    assert not Source.objects.filter(pk=source.pk).exists()
    assert_error(api.get(f"/api/v1/admin/sources/{source.pk}/"), 404, "not_found")


def test_the_api_delete_retires_and_hides(api, cloudflare, engine_tasks):
    response = api.delete(f"/api/v1/admin/sources/{cloudflare.pk}/")
    assert response.json() == {"name": "cf-main", "kept_history": True, "retired_tasks": 2}
    names = [s["name"] for s in api.get("/api/v1/admin/sources/").json()["results"]]
    assert "cf-main" not in names and not any("deleted" in n for n in names)
    assert_error(api.delete(f"/api/v1/admin/sources/{cloudflare.pk}/"), 404, "not_found")


def test_the_local_source_cannot_be_deleted_and_staff_cannot_delete(api, member, cloudflare):
    local = lifecycle.local_source()
    assert_error(api.delete(f"/api/v1/admin/sources/{local.pk}/"), 409, "task_state")
    assert_error(
        client_for(member).delete(f"/api/v1/admin/sources/{cloudflare.pk}/"), 403, "forbidden"
    )
    assert Source.objects.filter(pk=cloudflare.pk, deleted_at__isnull=True).exists()
