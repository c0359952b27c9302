"""Exactly once when the answer is lost: for every engine and every write-back it supports, the
engine applies the command and the answer never arrives (timeout, dropped connection, cut-short
body, 502). The next attempt reads the engine's state instead of sending again: the change is
applied once, the command is delivered (reconciled), never failed. An engine refusal that means
"already so" is a delivery too; a different decision made in the engine is a conflict, shown."""

import httpx
import pytest
from django.contrib.auth.models import Permission

from inbox import lifecycle
from inbox.cases import case_request_action
from inbox.models import Case, OutboxCommand, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

pytestmark = pytest.mark.django_db

LOST = ["applied-timeout", "applied-drop", "applied-truncated", "applied-502"]
TASK_ACTIONS = {
    "uipath": ["complete", "claim", "release", "assign"],
    "cloudflare": ["complete"],
    "strategy": ["complete", "cancel"],
    "littlehorse": ["complete", "cancel", "claim", "release", "assign"],
}
CASE_ACTIONS = {
    "uipath": ["pause", "resume", "close"],
    "cloudflare": ["pause", "resume", "close"],
    "strategy": ["pause", "resume", "close"],
    "docusign": ["close"],
}


def _cases():
    """Every (engine, action) once per lost-answer kind for completions, the decision itself;
    other actions take the kinds in turn."""
    out, turn = [], 0
    for engine, actions in TASK_ACTIONS.items():
        for action in actions:
            kinds = LOST if action == "complete" else [LOST[turn % len(LOST)]]
            turn += action != "complete"
            out += [(engine, action, kind) for kind in kinds]
    for engine, actions in CASE_ACTIONS.items():
        for action in actions:
            out.append((engine, f"case_{action}", LOST[turn % len(LOST)]))
            turn += 1
    return out


def control(sims, method, path, **kwargs):
    response = httpx.request(method, f"{sims.control_url}/_control/{path}", **kwargs)
    response.raise_for_status()
    return response.json()


def push_open():
    return [
        push_command(c.pk)
        for c in OutboxCommand.objects.filter(status__in=OutboxCommand.OPEN).order_by("id")
    ]


def required_results(task):
    return {
        f["name"]: {"BOOLEAN": True, "STRING": "fine", "INTEGER": 1, "DOUBLE": 2.5}[f["type"]]
        for f in task.fields
        if f["required"]
    }


def prepare_task_action(source, action, staff, admin):
    """Bring a task to where ``action`` can be done (earlier write-backs delivered), do it,
    and return the command it queued."""
    alice, bob = staff["users"]["alice"], staff["users"]["bob"]
    tasks = UserTask.objects.filter(
        source=source, status="UNASSIGNED", group__in=alice.groups.all()
    ).order_by("created_at")
    if source.kind == "cloudflare":  # a paused instance only buffers the event: its step waits
        tasks = tasks.filter(case__upstream_status="waiting")
    task = tasks.first()
    assert task is not None
    if action in ("complete", "release"):
        lifecycle.task_claim(task_id=task.id, user=alice)
        assert push_open() == ["delivered"]
    if action == "complete":
        lifecycle.task_complete(task_id=task.id, user=alice, results=required_results(task))
    elif action == "claim":
        lifecycle.task_claim(task_id=task.id, user=alice)
    elif action == "release":
        lifecycle.task_release(task_id=task.id, user=alice)
    elif action == "assign":
        lifecycle.task_assign(task_id=task.id, actor=admin, user=bob)
    elif action == "cancel":
        lifecycle.task_admin_cancel(task_id=task.id, actor=admin, message="not needed")
    return OutboxCommand.objects.get(task=task, action=action)


def prepare_case_action(source, action, admin):
    case = Case.objects.filter(source=source, status="running").order_by("id").first()
    if action == "case_resume":
        case_request_action(case_id=case.pk, actor=admin, action="pause")
        assert push_open() == ["delivered"]
        poll(source.pk, force=True)
        case.refresh_from_db()
        assert case.status == "paused"
    case_request_action(case_id=case.pk, actor=admin, action=action.removeprefix("case_"))
    return OutboxCommand.objects.get(case=case, action=action, status="pending")


@pytest.mark.parametrize(("engine", "action", "kind"), _cases())
def test_a_lost_answer_is_reconciled_and_applied_once(
    engine, action, kind, make_source, staff, admin, simulators, settings
):
    settings.SYNC_HTTP_TIMEOUT = 1
    settings.OUTBOX_RETRY_BASE_MS = 1
    source = make_source(engine)
    assert poll(source.pk).status == "ok"
    if action.startswith("case_"):
        command = prepare_case_action(source, action, admin)
    else:
        command = prepare_task_action(source, action, staff, admin)
    control(simulators, "DELETE", f"{engine}/writebacks")
    method = "PATCH" if engine == "cloudflare" and action.startswith("case_") else "POST"
    control(
        simulators,
        "POST",
        "faults",
        json={"engine": engine, "kind": kind, "method": method, "count": 1},
    )

    assert push_command(command.pk) == "retry"
    command.refresh_from_db()
    assert command.status == "retrying" and command.unconfirmed and command.last_error
    if command.task_id:
        assert UserTask.objects.get(pk=command.task_id).delivery == "pending"

    second = push_command(command.pk)
    command.refresh_from_db()
    assert second == "delivered", command.last_error
    assert command.status == "delivered" and command.reconciled and command.delivered_at
    writes = control(simulators, "GET", f"{engine}/writebacks")["writebacks"]
    assert [(w["fault"], w["applied"]) for w in writes] == [(kind, True)], (
        "applied once, never sent again"
    )
    if command.task_id:
        task = UserTask.objects.get(pk=command.task_id)
        assert task.delivery == ""
        assert not task.events.filter(data__has_key="write_back_failed").exists()
    if action == "complete" and engine != "littlehorse":
        body = writes[0]["body"]
        assert (body.get("data") or body)["completed_by"] == staff["users"]["alice"].email


def test_the_decider_is_carried_to_littlehorse_as_the_tasks_user(make_source, staff, simulators):
    source = make_source("littlehorse")
    poll(source.pk)
    carol = staff["users"]["carol"]  # an inbox admin who is also a LittleHorse user
    carol.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    carol = type(carol).objects.get(pk=carol.pk)
    task = UserTask.objects.filter(source=source, status="UNASSIGNED").first()
    lifecycle.task_admin_complete(
        task_id=task.id, actor=carol, results=required_results(task), reason="decided for them"
    )
    assert push_open() == ["delivered"]
    detail = httpx.get(
        f"{simulators.urls['littlehorse']}/default/admin/tasks/{task.wf_run_id}/{task.external_id}",
        headers={"Authorization": "Bearer sim-token"},
    ).json()
    # LittleHorse shows carol as who completed it, not the inbox's service account.
    assert detail["status"] == "DONE" and detail["user"]["username"] == "carol"


def complete_locally(source, staff):
    alice = staff["users"]["alice"]
    task = UserTask.objects.filter(
        source=source, status="UNASSIGNED", group__in=alice.groups.all()
    ).first()
    lifecycle.task_claim(task_id=task.id, user=alice)
    assert push_open() == ["delivered"]
    lifecycle.task_complete(task_id=task.id, user=alice, results={"approved": True})
    return task, OutboxCommand.objects.get(task=task, action="complete")


def test_an_already_so_refusal_is_a_delivery(make_source, staff, simulators):
    source = make_source("uipath")
    poll(source.pk)
    task, command = complete_locally(source, staff)
    # Someone completed it in UiPath with the same decision before our push arrived.
    control(
        simulators,
        "POST",
        f"uipath/tasks/{task.external_id}/complete",
        json={"action": "approve", "data": {"approved": True}},
    )
    assert push_command(command.pk) == "delivered"
    command.refresh_from_db()
    assert command.reconciled and "already completed" in command.last_error
    assert UserTask.objects.get(pk=task.pk).delivery == ""


def test_a_different_decision_made_in_the_engine_is_a_conflict_shown_on_the_task(
    make_source, staff, simulators
):
    source = make_source("uipath")
    poll(source.pk)
    task, command = complete_locally(source, staff)
    control(
        simulators,
        "POST",
        f"uipath/tasks/{task.external_id}/complete",
        json={"action": "reject", "data": {"approved": False}},
    )
    assert push_command(command.pk) == "conflict"
    command.refresh_from_db()
    assert command.status == "conflict" and "approved=false" in command.conflict_detail
    task.refresh_from_db()
    assert task.delivery == "conflict"
    event = task.events.filter(data__outcome="conflict").get()
    assert event.data["write_back"] == "complete"
