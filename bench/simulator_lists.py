"""How fast each engine simulator serves its list pages at scale, against the 20,000 records/s goal.

    .venv/bin/python bench/simulator_lists.py [--scale 100000] [--seconds 8]

Starts ``python -m simulators --scale N`` in its own process, then walks, page after page with
one keep-alive client, the list each connector pages through (UiPath case instances and
Orchestrator tasks, LittleHorse admin tasks of one type, Cloudflare instances of a workflow,
DocuSign workflow instances, strategy-engine instance tasks), for up to ``--seconds`` each or
to the end of the list. Prints records, pages, seconds and records per second per list, and
the ratio to the goal.
"""

import argparse
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
GOAL = 20_000
TOKEN = "sim-token"


def free_port_block(size: int = 6) -> int:
    for base in range(18200, 19000, 10):
        with socket.socket() as probe:
            if all(probe.connect_ex(("127.0.0.1", p)) != 0 for p in range(base, base + size)):
                return base
    raise SystemExit("no free ports for the simulators")


def walk(client, url, params, items_of, next_params, seconds):
    """Follow a list's pages; returns (records, pages, elapsed)."""
    records = pages = 0
    t0 = time.perf_counter()
    while True:
        response = client.get(f"{url}?{urlencode(params)}")
        response.raise_for_status()
        body = response.json()
        items = items_of(body)
        records += len(items)
        pages += 1
        params = next_params(params, body, items)
        if params is None or time.perf_counter() - t0 > seconds:
            return records, pages, time.perf_counter() - t0


def lists(urls: dict, client: httpx.Client) -> list:
    """(label, url, first params, items of a body, next params) per list, as connectors page."""
    control = urls["control"]
    sid = client.get(f"{control}/_control/strategy/instances").json()["ids"][0]
    lh_type = client.get(
        f"{urls['littlehorse']}/default/admin/taskTypes", params={"limit": 1}
    ).json()
    lh_type = (lh_type.get("userTaskDefNames") or lh_type.get("taskTypes") or [None])[0]
    lh_type = lh_type if isinstance(lh_type, str) else (lh_type or {}).get("name")

    def token_next(key, param):
        return lambda p, body, items: {**p, param: body[key]} if body.get(key) else None

    def skip_next(page):
        return lambda p, body, items: (
            {**p, "$skip": p["$skip"] + len(items)} if len(items) == page else None
        )

    cloudflare = f"{urls['cloudflare']}/client/v4/accounts/acc-1/workflows"
    return [
        (
            "UiPath case instances (pageSize 1000)",
            f"{urls['uipath']}/acme/prod/pims_/api/v1/instances",
            {"processType": "CaseManagement", "pageSize": 1000},
            lambda b: b["instances"],
            token_next("nextPage", "nextPage"),
        ),
        (
            "UiPath tasks ($top 1000, $count)",
            f"{urls['uipath']}/acme/prod/orchestrator_/odata/Tasks/"
            "UiPath.Server.Configuration.OData.GetTasksAcrossFoldersForAdmin",
            {
                "$top": 1000,
                "$skip": 0,
                "$count": "true",
                "$orderby": "Id",
                "$expand": "AssignedToUser",
                "$filter": "(IsDeleted eq false)",
            },
            lambda b: b["value"],
            skip_next(1000),
        ),
        (
            f"LittleHorse admin tasks, type {lh_type} (limit 500)",
            f"{urls['littlehorse']}/default/admin/tasks",
            {"type": lh_type, "limit": 500},
            lambda b: b.get("userTasks", []),
            token_next("bookmark", "bookmark"),
        ),
        (
            "Cloudflare instances (per_page 100)",
            f"{cloudflare}/{first_workflow(client, urls)}/instances",
            {"per_page": 100, "direction": "asc"},
            lambda b: b["result"],
            lambda p, body, items: (
                {**p, "cursor": body["result_info"]["cursor"]}
                if body.get("result_info", {}).get("cursor")
                else None
            ),
        ),
        (
            "DocuSign workflow instances (one page)",
            f"{urls['docusign']}/v1/accounts/acc-1/workflows/wf-1/instances",
            {},
            lambda b: b["data"],
            lambda p, body, items: None,
        ),
        (
            "Strategy instance tasks (one page)",
            f"{urls['strategy']}/execution-instance/{sid}/get-tasks",
            {},
            lambda b: b,
            lambda p, body, items: None,
        ),
    ]


def first_workflow(client, urls) -> str:
    sys.path.insert(0, str(ROOT))
    from simulators.cloudflare_model import WORKFLOWS

    return next(iter(WORKFLOWS))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=8.0, help="per list, at most")
    args = parser.parse_args()
    port = free_port_block()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/python"),
            "-m",
            "simulators",
            "--port",
            str(port),
            "--scale",
            str(args.scale),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        urls = {}
        for line in proc.stdout:
            name, _, rest = line.strip().partition(" ")
            if name == "ready":
                break
            urls[name] = rest.rsplit("/_control", 1)[0]
        print(f"simulators at --scale {args.scale:,} ready in {time.perf_counter() - t0:.0f} s")
        headers = {"Authorization": f"Bearer {TOKEN}", "Strategy-Secret": "sim-secret"}
        with httpx.Client(headers=headers, timeout=120) as client:
            print(f"\n{'list':52s} {'records':>8s} {'pages':>6s} {'s':>6s} {'rec/s':>8s}  of goal")
            for label, url, params, items_of, next_params in lists(urls, client):
                records, pages, elapsed = walk(
                    client, url, params, items_of, next_params, args.seconds
                )
                rate = records / elapsed
                print(
                    f"{label:52s} {records:8,d} {pages:6d} {elapsed:6.1f} {rate:8,.0f}  "
                    f"{rate / GOAL:5.0%}"
                )
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
