"""Paging, whatever the page size: walking all pages yields every record exactly once."""

from __future__ import annotations

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import AUTH

SETTINGS = settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(size=st.integers(1, 40))
def test_uipath_next_page_tokens(sim_session, size):
    ids, token = [], None
    with httpx.Client(base_url=sim_session.urls["uipath"], headers=AUTH) as client:
        while True:
            params = {"pageSize": size, **({"nextPage": token} if token else {})}
            body = client.get("/acme/prod/pims_/api/v1/instances", params=params).json()
            ids += [i["instanceId"] for i in body["instances"]]
            token = body["nextPage"]
            if not token:
                break
    assert sorted(ids) == sorted(set(ids)) and len(ids) == len(
        sim_session.sim.engines["uipath"].order
    )


@SETTINGS
@given(size=st.integers(1, 40))
def test_uipath_odata_top_and_skip(sim_session, size):
    path = "/acme/prod/orchestrator_/odata/Tasks/UiPath.Server.Configuration.OData.GetTasksAcrossFolders"
    ids, skip = [], 0
    with httpx.Client(base_url=sim_session.urls["uipath"], headers=AUTH) as client:
        while True:
            query = {"$top": size, "$skip": skip, "$count": "true"}
            body = client.get(path, params=query).json()
            ids += [t["Id"] for t in body["value"]]
            skip += size
            if skip >= body["@odata.count"]:
                break
    assert len(ids) == len(set(ids)) == body["@odata.count"]


@SETTINGS
@given(size=st.integers(1, 100), direction=st.sampled_from(["asc", "desc"]))
def test_cloudflare_cursors(sim_session, size, direction):
    base = sim_session.urls["cloudflare"] + "/client/v4/accounts/acc-1/workflows/approvals"
    ids, cursor = [], None
    with httpx.Client(base_url=base, headers=AUTH) as client:
        while True:
            params = {
                "per_page": size,
                "direction": direction,
                **({"cursor": cursor} if cursor else {}),
            }
            body = client.get("/instances", params=params).json()
            ids += [i["id"] for i in body["result"]]
            cursor = body["result_info"].get("cursor")
            if not cursor:
                break
    assert len(ids) == len(set(ids)) == body["result_info"]["total_count"]


@SETTINGS
@given(size=st.integers(1, 40))
def test_littlehorse_bookmarks(sim_session, size):
    ids, bookmark = [], None
    with httpx.Client(
        base_url=sim_session.urls["littlehorse"] + "/default", headers=AUTH
    ) as client:
        while True:
            params = {
                "limit": size,
                "type": "approve-expense",
                **({"bookmark": bookmark} if bookmark else {}),
            }
            body = client.get("/admin/tasks", params=params).json()
            ids += [t["id"] for t in body["userTasks"]]
            bookmark = body.get("bookmark")
            if bookmark is None:
                break
    expected = [
        t
        for t in sim_session.sim.engines["littlehorse"].tasks.values()
        if t["userTaskDefName"] == "approve-expense"
    ]
    assert len(ids) == len(set(ids)) == len(expected)
