"""Fault injection: each kind is produced as configured and stops when exhausted or cleared."""

from __future__ import annotations

import time

import httpx
import pytest


def add(control, **spec):
    resp = control.post("/_control/faults", json=spec)
    assert resp.status_code == 201, resp.text
    return resp.json()["faults"][0]


def test_faults_are_off_unless_asked_for(control, docusign):
    assert control.get("/_control/faults").json() == {"faults": []}
    assert all(docusign.get("/instances").status_code == 200 for _ in range(5))


def test_a_status_fault_fires_count_times_in_the_engines_error_format(control, docusign):
    fault = add(control, engine="docusign", kind="status", status=503, count=2)
    assert fault["remaining"] == 2 and fault["active"]
    for _ in range(2):
        resp = docusign.get("/instances")
        assert resp.status_code == 503
        assert resp.json()["status"] == 503 and resp.json()["title"] == "Internal Server Error"
    assert docusign.get("/instances").status_code == 200
    listed = control.get("/_control/faults").json()["faults"][0]
    assert listed["fired"] == 2 and listed["remaining"] == 0 and not listed["active"]


def test_429_carries_retry_after(control, cloudflare):
    add(control, engine="cloudflare", kind="429", retry_after=7, count=1)
    resp = cloudflare.get("/instances")
    assert resp.status_code == 429 and resp.headers["Retry-After"] == "7"
    assert resp.json()["success"] is False
    assert cloudflare.get("/instances").status_code == 200


def test_slow_responses_are_delayed_but_correct(control, littlehorse):
    add(control, engine="littlehorse", kind="slow", delay=0.4, count=1)
    began = time.monotonic()
    resp = littlehorse.get("/userInfo")
    assert time.monotonic() - began >= 0.4 and resp.status_code == 200
    assert resp.json()["username"] == "admin"


def test_malformed_json_is_a_200_that_does_not_parse(control, strategy):
    add(control, engine="strategy", kind="malformed", count=1)
    resp = strategy.get("/execution-instance/x/get-tasks")
    assert resp.status_code == 200
    with pytest.raises(ValueError):
        resp.json()


def test_truncated_bodies_end_early(control, uipath):
    add(control, engine="uipath", kind="truncated", count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        uipath.get("/pims_/api/v1/instances")
    assert uipath.get("/pims_/api/v1/instances").status_code == 200


def test_dropped_connections_send_nothing(control, sim):
    add(control, engine="docusign", kind="drop", count=1)
    url = sim.urls["docusign"] + "/v1/accounts/acc-1/workflows/wf-1/instances"
    auth = {"Authorization": "Bearer sim-token"}
    with pytest.raises(httpx.TransportError):
        httpx.get(url, headers=auth)
    assert httpx.get(url, headers=auth).status_code == 200


def test_path_prefix_and_method_narrow_a_fault(control, cloudflare):
    prefix = "/client/v4/accounts/acc-1/workflows/approvals/instances/batch"
    add(control, engine="cloudflare", kind="status", status=502, path_prefix=prefix, method="POST")
    assert cloudflare.get("/instances").status_code == 200
    assert cloudflare.post("/instances", json={}).status_code == 200
    assert cloudflare.post("/instances/batch", json=[{}]).status_code == 502
    assert cloudflare.post("/instances/batch", json=[{}]).status_code == 502  # no count: persists


def test_clearing_stops_a_fault(control, docusign):
    add(control, engine="docusign", kind="status", status=500)
    assert docusign.get("/instances").status_code == 500
    assert control.delete("/_control/faults").json() == {"cleared": 1}
    assert docusign.get("/instances").status_code == 200


def test_clearing_one_fault_by_id(control, docusign):
    fault = add(control, engine="docusign", kind="status", status=500)
    assert control.delete(f"/_control/faults/{fault['id']}").status_code == 200
    assert docusign.get("/instances").status_code == 200
    assert control.delete(f"/_control/faults/{fault['id']}").status_code == 404


def test_rate_faults_fire_some_of_the_time_reproducibly(control, docusign):
    def pattern():
        control.post("/_control/reset", json={"seed": 3})
        add(control, engine="docusign", kind="status", status=500, rate=0.5)
        return [docusign.get("/instances").status_code for _ in range(30)]

    first = pattern()
    assert 5 <= first.count(500) <= 25 and first.count(200) > 0
    assert pattern() == first


def test_a_faulted_write_is_logged_as_such(control, docusign):
    iid = docusign.get("/instances").json()["data"][0]["id"]
    add(control, engine="docusign", kind="status", status=503, count=1)
    assert docusign.post(f"/instances/{iid}/actions/cancel").status_code == 503
    entry = control.get("/_control/docusign/writebacks").json()["writebacks"][-1]
    assert entry["fault"] == "status" and entry["status"] == 503


def test_bad_fault_specs_are_rejected(control):
    assert (
        control.post("/_control/faults", json={"engine": "docusign", "kind": "x"}).status_code
        == 400
    )
    assert (
        control.post("/_control/faults", json={"engine": "nope", "kind": "drop"}).status_code == 400
    )
    bad_rate = {"engine": "docusign", "kind": "drop", "rate": 2}
    assert control.post("/_control/faults", json=bad_rate).status_code == 400
