"""The campaign: a few hundred actions through the API on every engine, 30% of the engines'
answers to writes broken in mixed ways (refused with 5xx or 429, dropped before arriving, or
applied and then the answer lost), two real Celery workers on Redis, each killed with SIGKILL
once along the way (a fresh one takes over). Afterwards, what each simulator applied is compared
with what was done: nothing lost, nothing applied twice, nothing falsely failed, and each
task's writes in the order they were made."""

import signal
import time
from collections import Counter
from datetime import timedelta

import httpx
import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from inbox.models import Case, OutboxCommand, UserTask
from inbox.sync.outbox import sweep
from inbox.sync.poller import poll
from tests.celery_workers import start_worker, stop

pytestmark = pytest.mark.django_db(transaction=True)

FAULT_RATE = 0.30
FAULT_KINDS = [
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 503},
    {"kind": "429", "retry_after": 1},
    {"kind": "drop"},
    {"kind": "applied-timeout", "delay": 2.0},
    {"kind": "applied-drop"},
    {"kind": "applied-truncated"},
    {"kind": "applied-502"},
]
WORKER_ENV = {"SYNC_HTTP_TIMEOUT": "1", "OUTBOX_RETRY_BASE_MS": "200", "OUTBOX_LEASE_SECONDS": "5"}
# Tasks per engine, and the API actions done on each (claim/release are writes where the engine
# has assignees; elsewhere they stay in the inbox).
PLAN = {
    "uipath": (20, ["claim", "release", "claim", "complete"]),
    "littlehorse": (20, ["claim", "release", "claim", "complete"]),
    "cloudflare": (12, ["claim", "complete"]),
    "strategy": (12, ["claim", "complete"]),
}
CASES_TO_CLOSE = 6
THREADS = 4  # per worker: a kill takes every push in flight with it  # DocuSign instances closed by an admin


def control(sims, method, path, **kwargs):
    response = httpx.request(method, f"{sims.control_url}/_control/{path}", **kwargs)
    response.raise_for_status()
    return response.json()


def per_kind_rate(total: float, kinds: int) -> float:
    """Each fault is tried in turn; the chance that one of them fires is ``total``."""
    return 1 - (1 - total) ** (1 / kinds)


def expected_writes(engine: str, actions: list[str]) -> list[str]:
    """The writes the engine must have applied, in order, for one task's actions."""
    if engine == "uipath":
        return [
            {"claim": "assign", "release": "unassign", "complete": "complete"}[a] for a in actions
        ]
    if engine == "littlehorse":
        return [{"claim": "assign", "release": "assign", "complete": "result"}[a] for a in actions]
    return ["complete" for a in actions if a == "complete"]


def task_of_write(engine: str, write: dict, keys: dict) -> tuple[str, str] | None:
    """(task key, write kind) of one applied write as the engine received it."""
    path, body = write["path"], write["body"] if isinstance(write["body"], dict) else {}
    if engine == "uipath":
        if path.endswith("AssignTasks") and "Unassign" not in path:
            return str(body["taskAssignments"][0]["TaskId"]), "assign"
        if path.endswith("UnassignTasks"):
            return str(body["taskIds"][0]), "unassign"
        return str(body.get("taskId")), "complete"
    if engine == "littlehorse":
        *_, run, guid, op = path.split("/")
        return f"{run}/{guid}", op
    if engine == "cloudflare":
        return path.split("/instances/")[1].split("/")[0], "complete"
    if engine == "strategy":
        return keys.get(path.split("/")[2]), "complete"
    if engine == "docusign":
        return path.split("/instances/")[1].split("/")[0], "close"
    return None


def answers(task: UserTask) -> dict:
    values = {"BOOLEAN": True, "STRING": "ok", "INTEGER": 1, "DOUBLE": 1.5}
    return {f["name"]: values[f["type"]] for f in task.fields if f["required"]}


def task_key(engine: str, task: UserTask) -> str:
    if engine == "littlehorse":
        return f"{task.wf_run_id}/{task.external_id}"
    if engine == "cloudflare":
        return task.wf_run_id
    return task.external_id


def test_a_campaign_under_faults_and_worker_kills_loses_and_duplicates_nothing(
    broker,
    make_source,
    staff,
    admin,
    simulators,
    monkeypatch,
    tmp_path,
):
    started = time.monotonic()
    for name, value in WORKER_ENV.items():
        monkeypatch.setenv(name, value)
    simulators.reset(scale=80)  # enough open work for everyone
    alice = staff["users"]["alice"]
    alice.groups.add(staff["groups"]["legal"])
    sources = {engine: make_source(engine) for engine in [*PLAN, "docusign"]}
    for source in sources.values():
        assert poll(source.pk).status == "ok"
    print(f"\npolled in {time.monotonic() - started:.1f}s")

    # What will be done: per engine, open tasks alice may take (waiting Cloudflare steps only:
    # a paused instance just buffers its event), and DocuSign instances to close.
    work = []  # (engine, task, actions)
    for engine, (count, actions) in PLAN.items():
        tasks = UserTask.objects.filter(
            source=sources[engine], status="UNASSIGNED", group__in=alice.groups.all()
        ).order_by("created_at")
        if engine == "cloudflare":
            tasks = tasks.filter(case__upstream_status="waiting")
        chosen = list(tasks[:count])
        assert len(chosen) == count, f"{engine} has {len(chosen)} open tasks for alice"
        work += [(engine, task, actions) for task in chosen]
    cases = list(
        Case.objects.filter(source=sources["docusign"], status="running").order_by("id")[
            :CASES_TO_CLOSE
        ]
    )
    assert len(cases) == CASES_TO_CLOSE
    strategy_keys = {
        t.context["correlation_id"]: t.external_id for e, t, _ in work if e == "strategy"
    }

    rate = per_kind_rate(FAULT_RATE, len(FAULT_KINDS))
    control(
        simulators,
        "POST",
        "faults",
        json=[{"engine": "*", "method": "POST", "rate": rate, **k} for k in FAULT_KINDS],
    )

    api, admin_api = APIClient(), APIClient()
    api.force_authenticate(alice)
    admin_api.force_authenticate(admin)
    steps = [
        (engine, task, i, action)
        for engine, task, actions in work
        for i, action in enumerate(actions)
    ]
    # Interleave tasks: step i of every task before step i+1 of any.
    steps.sort(key=lambda s: s[2])
    total_actions = len(steps) + len(cases)
    kill_at = {total_actions // 3, 2 * total_actions // 3}
    log = open(tmp_path / "workers.log", "w")  # noqa: SIM115 - closed in finally
    workers = [start_worker(broker, "w1", log, THREADS), start_worker(broker, "w2", log, THREADS)]
    kills, done = 0, 0
    try:
        for engine, task, _, action in steps:
            if action == "complete":
                response = api.post(
                    f"/api/v1/tasks/{task.id}/complete/", {"results": answers(task)}, format="json"
                )
            else:
                response = api.post(f"/api/v1/tasks/{task.id}/{action}/")
            assert response.status_code == 200, (engine, action, response.content)
            done += 1
            if done in kill_at:
                victim = workers.pop(0)
                stop(victim, signal.SIGKILL)
                kills += 1
                workers.append(start_worker(broker, f"w{2 + kills}", log, THREADS))
        for case in cases:
            response = admin_api.post(f"/api/v1/cases/{case.pk}/close/", {}, format="json")
            assert response.status_code == 202, response.content
            done += 1

        # The beat's sweeper re-queues what the killed workers held once their lease ran out.
        print(f"\nactions done in {time.monotonic() - started:.1f}s")
        deadline = time.monotonic() + 240  # generous: this machine's CPUs are shared
        while OutboxCommand.objects.filter(status__in=OutboxCommand.OPEN).exists():
            if time.monotonic() > deadline:
                now = timezone.now()
                stuck = OutboxCommand.objects.filter(status__in=OutboxCommand.OPEN)
                pytest.fail(
                    f"{stuck.count()} write-backs still open, e.g. "
                    + "; ".join(
                        f"#{c.pk} {c.action} {c.status} attempts={c.attempts} "
                        f"due_in={(c.next_attempt_at - now).total_seconds():.1f}s "
                        f"err={c.last_error[:80]}"
                        for c in stuck[:8]
                    )
                )
            sweep(stale_after=timedelta(seconds=3))  # as the beat's sweeper would
            time.sleep(1)
        print(f"drained in {time.monotonic() - started:.1f}s")
    finally:
        for worker in workers:
            stop(worker)
        log.close()
        print((tmp_path / "workers.log").read_text()[-3000:])
        faults = control(simulators, "GET", "faults")["faults"]
        control(simulators, "DELETE", "faults")

    # Compare what each engine applied with what was done.
    applied: dict[tuple[str, str], list[str]] = {}
    for engine in sources:
        for write in control(simulators, "GET", f"{engine}/writebacks")["writebacks"]:
            if write["applied"]:
                key, kind = task_of_write(engine, write, strategy_keys)
                applied.setdefault((engine, key), []).append(kind)
    lost = duplicated = out_of_order = 0
    expected = [((e, task_key(e, t)), expected_writes(e, a)) for e, t, a in work]
    expected += [(("docusign", c.external_id), ["close"]) for c in cases]
    for key, want in expected:
        got = applied.get(key, [])
        lost += sum((Counter(want) - Counter(got)).values())
        duplicated += sum((Counter(got) - Counter(want)).values())
        out_of_order += Counter(got) == Counter(want) and got != want
    falsely_failed = OutboxCommand.objects.filter(status__in=OutboxCommand.STUCK).count()
    delivered = OutboxCommand.objects.filter(status="delivered")
    fired = sum(f["fired"] for f in faults)
    by_kind = ", ".join(
        f"{f['kind']}{f['status'] if f['kind'] == 'status' else ''}={f['fired']}" for f in faults
    )
    print(
        f"\ncampaign: {total_actions} actions, {OutboxCommand.objects.count()} write-backs, "
        f"{fired} faults fired ({by_kind}), {kills} worker kills (SIGKILL), "
        f"{delivered.filter(reconciled=True).count()} delivered by reading the engine's state; "
        f"lost={lost} duplicated={duplicated} falsely_failed={falsely_failed} "
        f"out_of_order={out_of_order}; {time.monotonic() - started:.1f}s"
    )
    assert kills == 2 and fired > 0
    assert (lost, duplicated, falsely_failed, out_of_order) == (0, 0, 0, 0)
    assert delivered.count() == OutboxCommand.objects.count()
    assert not UserTask.objects.exclude(delivery="").exists()
