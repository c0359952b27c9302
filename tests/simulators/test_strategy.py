"""Strategy-engine simulator: pending tasks, events waiting on a person, resume and cancel."""

from __future__ import annotations

import httpx

EVENT_FIELDS = {
    "sid",
    "instanceSid",
    "strategySid",
    "status",
    "main",
    "afterCancellation",
    "task",
    "date",
    "scheduledAt",
    "executedAt",
    "finishedAt",
    "attempt",
    "jobId",
    "correlationId",
    "taskStatus",
    "instance",
    "strategy",
    "createdAt",
    "updatedAt",
}


def sids(control):
    body = control.get("/_control/strategy/instances").json()
    assert body["sids"] == body["ids"]
    return body["sids"]


def waiting_event(strategy, control):
    for sid in sids(control):
        for event in strategy.get(f"/execution-instance/{sid}/get-tasks").json():
            if event["status"] in ("ONHOLD", "PAUSED"):
                return event
    raise AssertionError("no waiting event")


def test_get_tasks_returns_a_bare_array_of_pending_events(strategy, control):
    all_sids = sids(control)
    assert len(all_sids) == 30
    statuses = set()
    for sid in all_sids:
        resp = strategy.get(f"/execution-instance/{sid}/get-tasks")
        assert resp.status_code == 200 and isinstance(resp.json(), list)
        for event in resp.json():
            assert set(event) >= EVENT_FIELDS and event["instanceSid"] == sid
            assert event["instance"]["sid"] == sid and event["strategy"]["name"]
            statuses.add(event["status"])
    assert {"ONHOLD", "PAUSED", "PENDING"} <= statuses
    assert not statuses & {"PROCESSED", "FAILED", "CANCELED"}


def test_waiting_events_carry_a_title_group_and_fields(strategy, control):
    event = waiting_event(strategy, control)
    assert event["data"]["title"] and event["data"]["group"] in ("finance", "support", "legal")
    assert {f["type"] for f in event["data"]["fields"]} == {"BOOLEAN", "STRING"}


def test_it_needs_both_the_bearer_token_and_the_strategy_secret(sim, control):
    url = sim.urls["strategy"] + f"/execution-instance/{sids(control)[0]}/get-tasks"
    resp = httpx.get(url, headers={"Strategy-Secret": "sim-secret"})
    assert resp.status_code == 401
    assert resp.json() == {"statusCode": 401, "message": "Unauthorized", "error": "Unauthorized"}
    resp = httpx.get(url, headers={"Authorization": "Bearer sim-token"})
    assert resp.status_code == 401
    resp = httpx.get(url, headers={"Authorization": "Bearer sim-token", "Strategy-Secret": "x"})
    assert resp.status_code == 403 and resp.json()["error"] == "Forbidden"


def test_unknown_instance_and_event_are_404(strategy):
    resp = strategy.get("/execution-instance/nope/get-tasks")
    assert resp.status_code == 404 and resp.json()["statusCode"] == 404
    assert strategy.get("/execution-event/nope").status_code == 404
    assert strategy.post("/execution-event/nope/resume", json={}).status_code == 404


def test_resume_by_correlation_id_queues_the_event(strategy, control, sim):
    event = waiting_event(strategy, control)
    body = {"approved": True, "note": "ok"}
    resp = strategy.post(f"/execution-event/{event['correlationId']}/resume", json=body)
    assert resp.status_code == 200 and resp.json()["status"] == "QUEUED"
    got = strategy.get(f"/execution-event/{event['sid']}").json()["event"]
    assert got["status"] == "QUEUED"
    assert got["taskStatus"]["taskResults"][-1]["afterResumeData"] == body
    again = strategy.post(f"/execution-event/{event['correlationId']}/resume", json=body)
    assert again.status_code == 400
    wb = sim.writebacks("strategy")[0]
    assert wb["headers"]["strategy-secret"] == "sim-secret" and wb["body"] == body


def test_cancel_event_marks_it_canceled(strategy, control):
    event = waiting_event(strategy, control)
    resp = strategy.post(f"/execution-event/{event['sid']}/cancel")
    assert resp.status_code == 200 and resp.json()["status"] == "CANCELED"
    tasks = strategy.get(f"/execution-instance/{event['instanceSid']}/get-tasks").json()
    assert event["sid"] not in {e["sid"] for e in tasks}
    assert strategy.post(f"/execution-event/{event['sid']}/cancel").status_code == 400


def test_instance_create_pause_resume_cancel_and_cancel_tasks(strategy):
    body = {
        "description": "Renewal for Hooli",
        "strategyId": "contract-renewal",
        "startDate": "2026-02-01T00:00:00Z",
        "attributes": {"customer": "Hooli"},
    }
    created = strategy.post("/execution-instance", json=body)
    assert created.status_code == 201
    inst = created.json()
    assert inst["status"] == "ACTIVE" and inst["attributes"] == {"customer": "Hooli"}
    sid = inst["sid"]
    events = strategy.get(f"/execution-instance/{sid}/get-tasks").json()
    assert {e["status"] for e in events} == {"ONHOLD", "PENDING"}  # manual-trigger strategy
    assert strategy.post(f"/execution-instance/{sid}/pause").json()["status"] == "PAUSED"
    assert strategy.post(f"/execution-instance/{sid}/resume").json()["status"] == "ACTIVE"
    canceled = strategy.post(
        f"/execution-instance/{sid}/cancel-tasks", params={"tasks": "confirm-renewal-terms"}
    )
    assert [e["cancelReason"] for e in canceled.json()] == ["INSTANCE_CANCEL_TASK_REQUESTED"]
    assert strategy.post(f"/execution-instance/{sid}/cancel").json()["status"] == "CANCELED"
    assert strategy.get(f"/execution-instance/{sid}/get-tasks").json() == []
    assert strategy.get(f"/execution-instance/{sid}").json()["status"] == "CANCELED"
    assert strategy.post(f"/execution-instance/{sid}/cancel").status_code == 400
    missing = strategy.post("/execution-instance", json={"strategyId": "nope"})
    assert missing.status_code == 404


def test_control_can_add_and_complete_a_waiting_event(strategy, control):
    sid = sids(control)[0]
    created = control.post(
        "/_control/strategy/tasks", json={"instanceSid": sid, "assignee": "bob@example.com"}
    )
    assert created.status_code == 201
    event = created.json()
    assert event["status"] == "ONHOLD" and event["data"]["assignee"] == "bob@example.com"
    done = control.post(f"/_control/strategy/tasks/{event['sid']}/complete", json={})
    assert done.json()["status"] == "PROCESSED"
