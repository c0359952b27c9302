"""Case events from real polls of the UiPath simulator: the event feed shows each status change
of a case once (across pages) to whoever can see the case and to nobody else, a replayed poll
adds nothing, and ``case.changed`` webhooks reach a real HTTP receiver once each, signed and in
order per case, also through a real Celery worker."""

import hashlib
import hmac
import time

import httpx
import pytest
from rest_framework.test import APIClient

from inbox.cases import can_see_case, case_request_action
from inbox.models import Case, CaseEvent, OutboxCommand
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll
from notifications.fanout import pump
from notifications.models import EventOutbox, WebhookDelivery
from notifications.signing import verify
from notifications.webhooks import deliver, webhook_create
from tests.factories import UserFactory
from tests.notifications.conftest import (  # noqa: F401  (fixtures)
    local_targets,
    receiver,
    smtp_server,
)
from tests.notifications.test_worker_end_to_end import (  # noqa: F401  (fixtures)
    start_worker,
    wait_for,
)

pytestmark = pytest.mark.django_db


def control(sims, path):
    response = httpx.post(f"{sims.control_url}/_control/{path}", json={})
    response.raise_for_status()
    return response.json()


def read_feed(user, limit):
    client = APIClient()
    client.force_authenticate(user)
    seen, after = [], "0"
    for _ in range(500):
        body = client.get(f"/api/v1/events/?after={after}&limit={limit}").json()
        seen += body["results"]
        after = body["next"]
        if not body["more"]:
            return seen
    raise AssertionError("the feed never ended")


def case_changes(events, case):
    return [
        (e["kind"], e["data"]["old_status"], e["data"]["new_status"])
        for e in events
        if e["case_id"] == case.pk
    ]


def running_case_with_a_viewer(source, staff):
    for case in Case.objects.filter(source=source, status="running").order_by("id"):
        viewers = [u for u in staff["users"].values() if can_see_case(u, case)]
        if viewers:
            return case, viewers[0]
    raise AssertionError("the simulator has a running case with work for our staff")


def test_a_case_that_pauses_and_completes_upstream_is_in_the_feed_once_each(
    make_source, staff, admin, simulators
):
    source = make_source("uipath")
    assert poll(source.pk).status == "ok"
    case, viewer = running_case_with_a_viewer(source, staff)
    stranger = UserFactory(username="dave")  # staff in no group: sees none of these cases
    assert not can_see_case(stranger, case)

    control(simulators, f"uipath/instances/{case.external_id}/pause")
    assert poll(source.pk, force=True).status == "ok"
    control(simulators, f"uipath/instances/{case.external_id}/complete")
    assert poll(source.pk, force=True).status == "ok"
    case.refresh_from_db()
    assert case.status == "completed"

    events_before = CaseEvent.objects.count()
    replay = poll(source.pk, force=True)
    assert replay.status == "ok", replay.error
    assert CaseEvent.objects.count() == events_before, "a replayed poll records nothing"
    pump()
    assert not EventOutbox.objects.exists()

    expected = [
        ("CASE_SEEN", None, "running"),
        ("CASE_STATUS_CHANGED", "running", "paused"),
        ("CASE_STATUS_CHANGED", "paused", "completed"),
    ]
    everything = read_feed(admin, limit=7)
    assert case_changes(everything, case) == expected
    keys = [(e["kind"], e["id"]) for e in everything]
    assert len(keys) == len(set(keys)), "every event once across pages"
    assert sum(1 for e in everything if e["case_id"]) == CaseEvent.objects.count()
    assert [e["actor"] for e in everything if e["case_id"] == case.pk] == [
        f"engine:{source.name}"
    ] * 3

    assert case_changes(read_feed(viewer, limit=5), case) == expected
    hidden = read_feed(stranger, limit=5)
    assert not [e for e in hidden if e["case_id"]], "cases the user cannot see stay hidden"


def test_an_admins_pause_names_them_on_the_case_event(make_source, staff, admin, simulators):
    source = make_source("uipath")
    poll(source.pk)
    case = Case.objects.filter(source=source, status="running").order_by("id").first()
    case_request_action(case_id=case.pk, actor=admin, action="pause")
    (command,) = OutboxCommand.objects.filter(case=case)
    assert push_command(command.pk) == "delivered"
    poll(source.pk, force=True)
    event = CaseEvent.objects.filter(case=case).latest("id")
    assert (event.old_status, event.new_status) == ("running", "paused")
    assert event.data["requested_by"] == admin.username


def test_case_changed_webhooks_arrive_once_each_signed_and_in_order(
    local_targets,  # noqa: F811
    receiver,  # noqa: F811
    make_source,
    staff,
    admin,
    simulators,
):
    hook = webhook_create(name="ops", url=receiver.url, events=["case.changed"], created_by=admin)
    source = make_source("uipath")
    poll(source.pk)
    case = Case.objects.filter(source=source, status="running").order_by("id").first()
    control(simulators, f"uipath/instances/{case.external_id}/pause")
    poll(source.pk, force=True)
    control(simulators, f"uipath/instances/{case.external_id}/complete")
    poll(source.pk, force=True)
    poll(source.pk, force=True)  # a replay: no delivery
    pump()

    mine = list(WebhookDelivery.objects.filter(case=case).order_by("id"))
    assert len(mine) == 3
    # Sent newest first, the later ones wait for the first: the receiver still sees them in order.
    assert [deliver(d.pk) for d in reversed(mine)] == ["waiting", "waiting", "delivered"]
    for _ in range(3):
        for d in WebhookDelivery.objects.filter(status="pending").order_by("id"):
            deliver(d.pk)
    assert not WebhookDelivery.objects.exclude(status="delivered").exists()
    assert {deliver(d.pk) for d in mine} == {"skipped"}, "never re-sent after a 2xx"

    for request in receiver.requests:
        timestamp = request.headers["X-Inbox-Timestamp"]
        signed = timestamp.encode() + b"." + request.body
        expected = "sha256=" + hmac.new(hook.secret.encode(), signed, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(expected, request.headers["X-Inbox-Signature"])
        assert request.headers["X-Inbox-Event"] == "case.changed"
    bodies = [r.json for r in receiver.requests if r.json["case"]["id"] == case.pk]
    assert [(b["data"]["old_status"], b["data"]["new_status"]) for b in bodies] == [
        (None, "running"),
        ("running", "paused"),
        ("paused", "completed"),
    ]
    assert [b["case"]["external_id"] for b in bodies] == [case.external_id] * 3
    ids = [r.headers["X-Inbox-Delivery"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == Case.objects.filter(source=source).count() + 2


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_a_case_change_once(
    start_worker,  # noqa: F811
    local_targets,  # noqa: F811
    receiver,  # noqa: F811
    make_source,
    staff,
    admin,
    simulators,
):
    start_worker("w1")
    hook = webhook_create(name="ops", url=receiver.url, events=["case.changed"], created_by=admin)
    source = make_source("uipath")
    assert poll(source.pk).status == "ok"
    cases = Case.objects.filter(source=source).count()
    wait_for(lambda: len(receiver.requests) >= cases, "the first sight of every case")
    case = Case.objects.filter(source=source, status="running").order_by("id").first()
    control(simulators, f"uipath/instances/{case.external_id}/pause")
    assert poll(source.pk, force=True).status == "ok"
    wait_for(lambda: len(receiver.requests) >= cases + 1, "the pause")
    time.sleep(2)  # anything doubled would arrive by now
    ids = [r.headers["X-Inbox-Delivery"] for r in receiver.requests]
    assert len(ids) == len(set(ids)) == cases + 1
    bodies = [r.json for r in receiver.requests if r.json["case"]["id"] == case.pk]
    assert [(b["data"]["old_status"], b["data"]["new_status"]) for b in bodies] == [
        (None, "running"),
        ("running", "paused"),
    ]
    last = receiver.requests[-1]
    assert verify(
        hook.secret,
        last.headers["X-Inbox-Timestamp"],
        last.body,
        last.headers["X-Inbox-Signature"],
    )
