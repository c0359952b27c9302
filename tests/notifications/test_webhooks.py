"""Outbound webhooks and completion callbacks against real HTTP receivers."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from accounts.models import ApiToken
from accounts.services import api_token_create
from inbox import lifecycle
from notifications.fanout import pump
from notifications.models import WebhookDelivery
from notifications.webhooks import deliver, webhook_create
from tests.factories import TaskFactory

pytestmark = pytest.mark.django_db


def deliver_all():
    return [deliver(d.pk) for d in WebhookDelivery.objects.order_by("id")]


def api(user, token: str | None = None) -> APIClient:
    client = APIClient()
    if token:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    else:
        client.force_authenticate(user)
    return client


def test_a_delivery_verifies_with_the_documented_recipe(local_targets, receiver, admin, task):
    hook = webhook_create(name="crm", url=receiver.url, events=["task.assigned"], created_by=admin)
    lifecycle.task_assign(task_id=task.id, actor=admin, user="root")
    pump()
    assert deliver_all() == ["delivered"]
    (request,) = receiver.requests
    timestamp = request.headers["X-Inbox-Timestamp"]
    signed = timestamp.encode() + b"." + request.body
    expected = "sha256=" + hmac.new(hook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, request.headers["X-Inbox-Signature"])
    assert request.headers["X-Inbox-Event"] == "task.assigned"
    body = request.json
    assert body["delivery_id"] == request.headers["X-Inbox-Delivery"]
    assert body["task"]["id"] == str(task.id)
    assert body["data"]["new_user"]["username"] == "root"


def test_500_then_200_is_delivered_twice_and_never_a_third_time(
    local_targets, receiver, admin, task
):
    receiver.statuses = [500]
    webhook_create(name="crm", url=receiver.url, events=["task.assigned"], created_by=admin)
    lifecycle.task_assign(task_id=task.id, actor=admin, user="root")
    pump()
    assert deliver_all() == ["retry"]
    assert deliver_all() == ["not-due"]  # backing off
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=5)):
        assert deliver_all() == ["delivered"]
        assert deliver_all() == ["skipped"]
    assert len(receiver.requests) == 2
    assert (
        receiver.requests[0].headers["X-Inbox-Delivery"]
        == receiver.requests[1].headers["X-Inbox-Delivery"]
    )
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 2, 200)


def test_deliveries_of_one_task_keep_their_order(local_targets, receiver, admin, member, task):
    webhook_create(
        name="crm", url=receiver.url, events=["task.assigned", "comment.added"], created_by=admin
    )
    lifecycle.task_claim(task_id=task.id, user=member)
    lifecycle.comment_add(task_id=task.id, user=member, text="first")
    lifecycle.comment_add(task_id=task.id, user=member, text="second")
    pump()
    ids = list(WebhookDelivery.objects.order_by("id").values_list("pk", flat=True))
    assert [deliver(pk) for pk in reversed(ids)] == ["waiting", "waiting", "delivered"]
    assert [deliver(pk) for pk in ids[1:]] == ["delivered", "delivered"]
    kinds = [r.json["event"] for r in receiver.requests]
    texts = [r.json["data"].get("text") for r in receiver.requests]
    assert kinds == ["task.assigned", "comment.added", "comment.added"]
    assert texts == [None, "first", "second"]


def test_a_hanging_receiver_gives_up_in_time_and_others_still_get_theirs(
    local_targets, receiver, settings, admin, task
):
    settings.WEBHOOK_TIMEOUT = 1
    receiver.hang_first = 5
    webhook_create(name="slow", url=receiver.url, events=["task.assigned"], created_by=admin)
    lifecycle.task_assign(task_id=task.id, actor=admin, user="root")
    pump()
    other = TaskFactory(group=task.group)
    lifecycle.task_assign(task_id=other.id, actor=admin, user="root")
    pump()
    assert deliver_all() == ["retry", "delivered"]
    (slow,) = WebhookDelivery.objects.filter(status="pending")
    assert "Timeout" in slow.last_error


def test_admin_api_creates_webhooks_and_refuses_bad_urls(settings, receiver, admin, member):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    settings.WEBHOOK_ALLOW_PRIVATE = False
    client = api(admin)
    cases = {
        "http://example.com/hook": "must use https",
        "https://10.1.2.3/hook": "private address",
        "https://127.0.0.1:8443/hook": "private address",
        "https://no-such-host.invalid/hook": "cannot be resolved",
        "not a url": "full http(s) URL",
    }
    for url, message in cases.items():
        response = client.post(
            "/api/v1/admin/webhooks/",
            {"name": "x", "url": url, "events": ["task.created"]},
            format="json",
        )
        assert response.status_code == 400, url
        assert message in response.json()["fields"]["url"][0], url
    response = client.post(
        "/api/v1/admin/webhooks/",
        {"name": "x", "url": receiver.url, "events": ["task.nope"]},
        format="json",
    )
    assert response.status_code == 400
    assert "not a valid choice" in response.json()["fields"]["events.0"][0]
    assert api(member).get("/api/v1/admin/webhooks/").status_code == 403

    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    response = client.post(
        "/api/v1/admin/webhooks/",
        {"name": "crm", "url": receiver.url, "events": ["task.created"]},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["secret"].startswith("whsec_")
    assert "secret" not in client.get("/api/v1/admin/webhooks/").json()["results"][0]


def test_recent_deliveries_are_listed_and_can_be_resent(local_targets, receiver, admin, group):
    client = api(admin)
    hook_id = client.post(
        "/api/v1/admin/webhooks/",
        {"name": "crm", "url": receiver.url, "events": ["task.created"]},
        format="json",
    ).json()["id"]
    TaskFactory(group=group)
    pump()
    deliver_all()
    detail = client.get(f"/api/v1/admin/webhooks/{hook_id}/").json()
    (row,) = detail["deliveries"]
    assert (row["status"], row["last_status_code"], row["event_kind"]) == (
        "delivered",
        200,
        "task.created",
    )
    response = client.post(f"/api/v1/admin/webhooks/deliveries/{row['id']}/resend/")
    assert response.status_code == 202
    deliver_all()
    assert len(receiver.requests) == 2
    from django.test import Client

    web = Client()
    web.force_login(admin)
    assert "task.created" in web.get("/notifications/webhooks/").content.decode()


def test_a_completion_callback_fires_once_with_the_results(local_targets, receiver, member, group):
    token = api_token_create(user=member, name="crm", scope=ApiToken.Scope.CREATE, groups=[group])[
        1
    ]
    response = api(None, token).post(
        "/api/v1/tasks/",
        {
            "title": "Approve",
            "type": "approval",
            "group": "finance",
            "fields": [{"name": "ok", "type": "BOOLEAN", "required": True}],
            "callback_url": receiver.url,
            "callback_secret": "s3cret",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    task_id = response.json()["id"]
    client = api(member)
    assert client.post(f"/api/v1/tasks/{task_id}/claim/").status_code == 200
    assert (
        client.post(
            f"/api/v1/tasks/{task_id}/complete/", {"results": {"ok": True}}, format="json"
        ).status_code
        == 200
    )
    pump()
    deliver_all()
    deliver_all()
    (request,) = receiver.requests
    body = request.json
    assert body["event"] == "task.completed"
    assert body["task"]["results"] == {"ok": {"type": "BOOLEAN", "value": True}}
    signed = request.headers["X-Inbox-Timestamp"].encode() + b"." + request.body
    assert request.headers["X-Inbox-Signature"] == (
        "sha256=" + hmac.new(b"s3cret", signed, hashlib.sha256).hexdigest()
    )


def test_a_bad_callback_url_creates_nothing(settings, admin):
    settings.WEBHOOK_REQUIRE_HTTPS = True
    response = api(admin).post(
        "/api/v1/tasks/",
        {"title": "t", "type": "t", "callback_url": "http://example.com/cb"},
        format="json",
    )
    assert response.status_code == 400
    assert "https" in response.json()["fields"]["callback_url"][0]
    from inbox.models import UserTask

    assert not UserTask.objects.exists()


def test_token_scopes_read_only_and_creator_groups(member, group, other_group):
    read = api_token_create(user=member, scope=ApiToken.Scope.READ)[1]
    creator = api_token_create(user=member, scope=ApiToken.Scope.CREATE, groups=[group])[1]
    body = {"title": "t", "type": "t", "group": "finance"}
    response = api(None, read).post("/api/v1/tasks/", body, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["message"]
    assert api(None, read).get("/api/v1/tasks/").status_code == 200
    response = api(None, creator).post("/api/v1/tasks/", {**body, "group": "legal"}, format="json")
    assert (
        response.status_code == 403 and "only in its groups (finance)" in response.json()["message"]
    )
    task_id = api(None, creator).post("/api/v1/tasks/", body, format="json").json()["id"]
    response = api(None, creator).post(f"/api/v1/tasks/{task_id}/claim/")
    assert response.status_code == 403


def test_an_expired_token_is_refused(member):
    token, raw = api_token_create(user=member, expires_at=datetime.now(UTC) + timedelta(hours=1))
    assert api(None, raw).get("/api/v1/me/").status_code == 200
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=2)):
        assert api(None, raw).get("/api/v1/me/").status_code == 401


def test_staff_mint_creator_tokens_only_for_their_own_groups(member, other_group):
    client = api(member)
    response = client.post(
        "/api/v1/me/tokens/", {"scope": "create", "groups": ["legal"]}, format="json"
    )
    assert response.status_code == 400 and "not a member of: legal" in response.json()["message"]
    response = client.post("/api/v1/me/tokens/", {"scope": "create"}, format="json")
    assert response.status_code == 400 and "needs the groups" in response.json()["message"]
    response = client.post(
        "/api/v1/me/tokens/", {"scope": "create", "groups": ["finance"]}, format="json"
    )
    assert response.status_code == 201
    assert (response.json()["scope"], response.json()["groups"]) == ("create", ["finance"])
