"""Cloudflare simulator: v4 envelope, paging, waitForEvent, status changes, step output."""

from __future__ import annotations

import httpx

ITEM_FIELDS = {
    "id",
    "created_on",
    "modified_on",
    "started_on",
    "ended_on",
    "status",
    "version_id",
    "workflow_id",
    "trigger_source",
}


def envelope(resp, status=200):
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["success"] is True and body["errors"] == [] and body["messages"] == []
    return body


def first_waiting(cloudflare):
    items = envelope(cloudflare.get("/instances", params={"status": "waiting", "per_page": 100}))[
        "result"
    ]
    return items[0]["id"]


def test_it_pages_by_page_number_with_result_info(cloudflare):
    seen, page = [], 1
    while True:
        body = envelope(cloudflare.get("/instances", params={"per_page": 7, "page": page}))
        info = body["result_info"]
        assert info["page"] == page and info["per_page"] == 7 and info["total_count"] == 30
        assert info["count"] == len(body["result"])
        if not body["result"]:
            break
        seen += [i["id"] for i in body["result"]]
        page += 1
    assert len(seen) == 30 == len(set(seen))
    assert set(body_item_keys(cloudflare)) == ITEM_FIELDS


def body_item_keys(cloudflare):
    return envelope(cloudflare.get("/instances", params={"per_page": 1}))["result"][0].keys()


def test_it_pages_by_cursor_in_both_directions(cloudflare):
    for direction in ("asc", "desc"):
        seen, cursor = [], None
        while True:
            params = {"per_page": 4, "direction": direction}
            if cursor:
                params["cursor"] = cursor
            body = envelope(cloudflare.get("/instances", params=params))
            seen += [(i["created_on"], i["id"]) for i in body["result"]]
            cursor = body["result_info"].get("cursor")
            if not cursor:
                break
        assert len(seen) == 30 == len(set(seen))
        assert seen == sorted(seen, reverse=direction == "desc")


def test_it_filters_by_status_and_date(cloudflare):
    body = envelope(cloudflare.get("/instances", params={"status": "waiting", "per_page": 100}))
    assert body["result"] and all(i["status"] == "waiting" for i in body["result"])
    body = envelope(cloudflare.get("/instances", params={"date_start": "2030-01-01T00:00:00Z"}))
    assert body["result"] == [] and body["result_info"]["total_count"] == 0
    resp = cloudflare.get("/instances", params={"per_page": 101})
    assert resp.status_code == 400 and resp.json()["success"] is False


def test_wrong_tokens_get_the_v4_error_envelope(sim):
    url = sim.urls["cloudflare"] + "/client/v4/accounts/acc-1/workflows/approvals/instances"
    for headers in ({}, {"Authorization": "Bearer nope"}):
        resp = httpx.get(url, headers=headers)
        assert resp.status_code == 403
        assert resp.json() == {
            "success": False,
            "errors": [{"code": 10000, "message": "Authentication error"}],
            "messages": [],
            "result": None,
        }


def test_unknown_instance_is_a_404_envelope(cloudflare):
    resp = cloudflare.get("/instances/nope")
    assert resp.status_code == 404
    assert resp.json()["success"] is False and resp.json()["result"] is None


def test_a_waiting_instance_stays_waiting_until_its_event_arrives(cloudflare, sim):
    iid = first_waiting(cloudflare)
    detail = envelope(cloudflare.get(f"/instances/{iid}"))["result"]
    assert detail["status"] == "waiting" and detail["end"] is None
    wait = detail["steps"][-1]
    assert wait["type"] == "waitForEvent" and wait["finished"] is False
    assert detail["params"]["approver_group"] in ("finance", "support", "legal")
    step = envelope(
        cloudflare.get(
            f"/instances/{iid}/step", params={"name": wait["name"], "type": "waitForEvent"}
        )
    )
    assert step["result"]["status"] == "waiting"
    # An event of another type is buffered and does not release the wait.
    envelope(cloudflare.post(f"/instances/{iid}/events/something-else", json={"x": 1}))
    assert envelope(cloudflare.get(f"/instances/{iid}"))["result"]["status"] == "waiting"
    payload = {"approved": True, "by": "alice@example.com"}
    assert (
        envelope(cloudflare.post(f"/instances/{iid}/events/{wait['name']}", json=payload))["result"]
        == {}
    )
    detail = envelope(cloudflare.get(f"/instances/{iid}"))["result"]
    assert detail["status"] == "complete" and detail["success"] is True and detail["end"]
    step = envelope(
        cloudflare.get(
            f"/instances/{iid}/step", params={"name": wait["name"], "type": "waitForEvent"}
        )
    )
    assert step["result"] == {"status": "complete", "error": None, "output": payload}
    assert sim.writebacks("cloudflare")[-1]["body"] == payload
    again = cloudflare.post(f"/instances/{iid}/events/{wait['name']}", json=payload)
    assert again.status_code == 409 and again.json()["success"] is False


def test_get_orders_steps_and_simple_omits_them(cloudflare):
    iid = first_waiting(cloudflare)
    asc = envelope(cloudflare.get(f"/instances/{iid}", params={"order": "asc"}))["result"]["steps"]
    desc = envelope(cloudflare.get(f"/instances/{iid}", params={"order": "desc"}))["result"][
        "steps"
    ]
    assert asc == desc[::-1] and len(asc) >= 3
    simple = envelope(cloudflare.get(f"/instances/{iid}", params={"simple": "true"}))["result"]
    assert simple["steps"] == [] and simple["step_count"] == len(asc)


def test_create_and_batch_create_run_to_the_wait(cloudflare):
    body = envelope(
        cloudflare.post("/instances", json={"instance_id": "req-1", "params": {"a": 1}})
    )
    assert body["result"]["id"] == "req-1" and body["result"]["status"] == "queued"
    assert envelope(cloudflare.get("/instances/req-1"))["result"]["status"] == "waiting"
    dup = cloudflare.post("/instances", json={"instance_id": "req-1"})
    assert dup.status_code == 409 and dup.json()["success"] is False
    batch = envelope(
        cloudflare.post("/instances/batch", json=[{"params": {}}, {"instance_id": "req-2"}])
    )
    assert [r["status"] for r in batch["result"]] == ["queued", "queued"]
    assert batch["result"][1]["id"] == "req-2"


def test_pause_resume_terminate_and_restart(cloudflare):
    iid = first_waiting(cloudflare)

    def patch(op, status=200):
        resp = cloudflare.patch(f"/instances/{iid}/status", json={"status": op})
        assert resp.status_code == status, resp.text
        return resp.json()["result"]

    paused = patch("pause")
    assert paused["status"] == "paused" and paused["timestamp"].endswith("Z")
    assert patch("resume")["status"] == "waiting"
    assert patch("terminate")["status"] == "terminated"
    detail = envelope(cloudflare.get(f"/instances/{iid}"))["result"]
    assert detail["steps"][-1] == {"type": "termination", "trigger": {"source": "api"}}
    assert patch("terminate", 400) is None
    assert patch("restart")["status"] == "waiting"
    assert (
        cloudflare.patch(f"/instances/{iid}/status", json={"status": "explode"}).status_code == 400
    )


def test_errored_instances_report_their_error_and_failed_step(cloudflare):
    items = envelope(cloudflare.get("/instances", params={"status": "errored"}))["result"]
    detail = envelope(cloudflare.get(f"/instances/{items[0]['id']}"))["result"]
    assert detail["success"] is False and detail["error"]["message"]
    failed = detail["steps"][-1]
    step = envelope(
        cloudflare.get(f"/instances/{items[0]['id']}/step", params={"name": failed["name"]})
    )
    assert step["result"]["status"] == "errored" and step["result"]["error"]["name"] == "Error"
