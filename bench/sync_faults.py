"""Sync under injected faults: how many polls and seconds each of the five engine sources needs
for a full successful sync when 0%, 10% and 30% of upstream requests are faulted (every kind
mixed: 5xx, 429 with Retry-After, slow beyond the timeout, malformed JSON, truncated bodies,
dropped connections), and how the final state differs from the fault-free run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench .venv/bin/python bench/sync_faults.py

Each "poll" is one scheduled poll run to its end (the benchmark runs them back to back instead of
waiting out the backoff). A full sync is the first poll that ends "ok", i.e. that finished the
walk, resuming where the failed polls stopped. Differences count every task, case, stage and
event-count row present in one run and not the other (0 = same tasks, cases, stages, fields and
no duplicate events). The database named in DATABASE_URL is dropped and created again.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync_ingest import free_port_block, recreate_database  # noqa: E402

KINDS = ("uipath", "docusign", "cloudflare", "strategy", "littlehorse")
FAULT_KINDS = [
    {"kind": "status", "status": 503},
    {"kind": "status", "status": 500},
    {"kind": "429", "retry_after": 1},
    {"kind": "slow", "delay": 2.5},
    {"kind": "malformed"},
    {"kind": "truncated"},
    {"kind": "drop"},
]


def snapshot(source) -> dict[str, set]:
    from inbox.models import Case, Stage, TaskEvent, UserTask

    def dump(value) -> str:
        return json.dumps(value, sort_keys=True, default=str)

    tasks = set()
    for t in UserTask.objects.filter(source=source).select_related("case", "assignee", "group"):
        tasks.add(
            (
                t.external_id,
                t.wf_run_id,
                t.case.external_id if t.case else None,
                t.task_type,
                t.title,
                t.description,
                t.status,
                t.assignee.username if t.assignee else None,
                t.group.name if t.group else None,
                t.upstream_assignee,
                t.priority,
                dump(t.due_at),
                dump(t.fields),
                dump(t.results),
                dump(t.context),
            )
        )
    cases = {
        (
            c.external_id,
            c.name,
            c.process_key,
            c.status,
            c.upstream_status,
            dump(c.started_at),
            dump(c.ended_at),
            c.progress_done,
            c.progress_total,
            dump(c.history),
            dump(c.payload),
        )
        for c in Case.objects.filter(source=source)
    }
    stages = {
        (s.case.external_id, s.external_id, s.name, s.position, s.status, dump(s.tasks))
        for s in Stage.objects.filter(case__source=source).select_related("case")
    }
    events = {}
    for task_ext, kind in TaskEvent.objects.filter(task__source=source).values_list(
        "task__external_id", "kind"
    ):
        events[(task_ext, kind)] = events.get((task_ext, kind), 0) + 1
    return {
        "tasks": tasks,
        "cases": cases,
        "stages": stages,
        "events": {(k, v, n) for (k, v), n in events.items()},
    }


def differences(a: dict, b: dict) -> int:
    return sum(len(a[key] ^ b[key]) for key in a)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=500, help="instances/tasks per engine")
    parser.add_argument("--rates", default="0,0.1,0.3")
    parser.add_argument("--max-polls", type=int, default=20)
    parser.add_argument("--timeout", type=int, default=2, help="SYNC_HTTP_TIMEOUT (s)")
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ["SYNC_HTTP_TIMEOUT"] = str(args.timeout)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    recreate_database(url)

    import subprocess

    import httpx

    port = free_port_block()
    sims = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--port", str(port), "--scale", str(args.scale)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # broken pipes of requests the inbox gave up on
        text=True,
    )
    for line in sims.stdout:
        if line.startswith("ready"):
            break
    control = f"http://127.0.0.1:{port}/_control"

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from inbox.models import Source, UserTask
    from inbox.sync.poller import poll

    def make_sources(suffix: str) -> list:
        token = {"token": "sim-token"}
        watches = {
            "uipath": {
                "org": "acme",
                "tenant": "prod",
                "folder_key": "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13",
                "folder_id": 1001,
            },
            "docusign": {"account_id": "acc-1", "workflow_ids": ["wf-1"]},
            "cloudflare": {"account_id": "acc-1", "workflows": ["approvals"]},
            "strategy": {"instance_sids": httpx.get(f"{control}/strategy/instances").json()["ids"]},
            "littlehorse": {"tenant": "default"},
        }
        out = []
        for offset, kind in enumerate(KINDS, start=1):
            base = f"http://127.0.0.1:{port + offset}" + (
                "/client/v4" if kind == "cloudflare" else ""
            )
            credentials = {**token, "secret": "sim-secret"} if kind == "strategy" else token
            out.append(
                Source.objects.create(
                    name=f"{kind}-{suffix}",
                    kind=kind,
                    base_url=base,
                    credentials=credentials,
                    watch=watches[kind],
                )
            )
        return out

    baseline: dict[str, dict] = {}
    print(
        f"simulators at --scale {args.scale}; SYNC_HTTP_TIMEOUT={args.timeout} s, "
        f"slow faults {FAULT_KINDS[3]['delay']} s, 429 Retry-After 1 s"
    )
    print(f"{'rate':>5} {'source':<12} {'tasks':>6} {'polls':>6} {'seconds':>8} {'diffs':>6}")
    try:
        for rate in [float(r) for r in args.rates.split(",")]:
            httpx.post(f"{control}/reset", json={"seed": 0, "scale": args.scale}).raise_for_status()
            if rate:
                per_kind = 1 - (1 - rate) ** (1 / len(FAULT_KINDS))
                for fault in FAULT_KINDS:
                    spec = {"engine": "*", "rate": round(per_kind, 5), **fault}
                    httpx.post(f"{control}/faults", json=spec).raise_for_status()
            for source in make_sources(f"{int(rate * 100)}pct"):
                started = time.monotonic()
                polls, status = 0, ""
                while polls < args.max_polls:
                    polls += 1
                    status = poll(source.pk, force=True).status
                    if status == "ok":
                        break
                took = time.monotonic() - started
                kind = source.kind
                state = snapshot(source)
                if rate == 0 and status == "ok":
                    baseline[kind] = state
                diffs = differences(state, baseline[kind]) if kind in baseline else -1
                shown = polls if status == "ok" else f">{polls}"
                print(
                    f"{rate:>5.0%} {kind:<12} {UserTask.objects.filter(source=source).count():>6} "
                    f"{shown:>6} {took:>8.1f} {diffs:>6}",
                    flush=True,
                )
            httpx.delete(f"{control}/faults")
    finally:
        sims.terminate()
        sims.wait(10)


if __name__ == "__main__":
    main()
