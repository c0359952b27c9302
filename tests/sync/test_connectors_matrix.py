"""Every connector: incremental sync picks up what the engine created since the last poll, each
fault kind breaks a poll that a later poll recovers from (nothing lost, nothing twice), and every
write-back reaches the engine on its own path."""

import httpx
import pytest

from inbox import lifecycle
from inbox.cases import case_request_action
from inbox.errors import Unsupported
from inbox.models import Case, OutboxCommand, Source, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

pytestmark = pytest.mark.django_db

ENGINES = ["uipath", "docusign", "cloudflare", "strategy", "littlehorse"]
FAULT_KINDS = [
    {"kind": "status", "status": 500},
    {"kind": "status", "status": 502},
    {"kind": "status", "status": 503},
    {"kind": "429", "retry_after": 30},
    {"kind": "slow", "delay": 2.5},
    {"kind": "malformed"},
    {"kind": "truncated"},
    {"kind": "drop"},
]


def control(sims, method, path, **kwargs):
    response = httpx.request(method, f"{sims.control_url}/_control/{path}", **kwargs)
    response.raise_for_status()
    return response.json()


def snapshot(source):
    tasks = UserTask.objects.filter(source=source)
    return (
        sorted(tasks.values_list("external_id", "status")),
        sorted(Case.objects.filter(source=source).values_list("external_id", "status")),
    )


@pytest.mark.parametrize("engine", ENGINES)
def test_a_later_poll_picks_up_what_the_engine_created_since(
    engine, make_source, staff, simulators
):
    source = make_source(engine)
    assert poll(source.pk).status == "ok"
    cases_before = Case.objects.filter(source=source).count()
    tasks_before = UserTask.objects.filter(source=source).count()
    # A strategy instance has a task only when a step waits for a person (its automated events
    # are not tasks): ask for one.
    body = {"waiting": True} if engine == "strategy" else {}
    created = control(simulators, "POST", f"{engine}/instances", json=body)
    new_id = next(created[k] for k in ("wfRunId", "instanceId", "sid", "id") if created.get(k))
    if engine == "strategy":  # the engine has no list: the source must watch the new SID
        source.watch = {**source.watch, "instance_sids": [*source.watch["instance_sids"], new_id]}
        source.save()
    assert poll(source.pk, force=True).status == "ok"
    assert Case.objects.filter(source=source).count() == cases_before + 1
    assert Case.objects.filter(source=source, external_id=new_id).exists()
    if engine != "docusign":  # DocuSign brings instances, not tasks
        assert UserTask.objects.filter(source=source).count() > tasks_before
        assert UserTask.objects.filter(source=source, wf_run_id=new_id).exists()


@pytest.mark.parametrize("fault", FAULT_KINDS, ids=lambda f: f["kind"] + str(f.get("status", "")))
@pytest.mark.parametrize("engine", ENGINES)
def test_each_fault_kind_is_recorded_and_recovered_from(
    engine, fault, make_source, staff, simulators, settings
):
    settings.SYNC_HTTP_TIMEOUT = 1
    settings.SYNC_HTTP_ATTEMPTS = 2
    reference = make_source(engine, name=f"{engine}-reference")
    assert poll(reference.pk).status == "ok"
    source = make_source(engine, name=f"{engine}-faulty")
    # Every attempt of one request meets the fault (or a Retry-After beyond the cap ends it).
    count = 1 if fault["kind"] == "429" else 2
    control(simulators, "POST", "faults", json={"engine": engine, "count": count, **fault})
    assert poll(source.pk).status == "failed"
    source.refresh_from_db()
    assert source.consecutive_failures == 1 and source.last_error
    assert source.next_attempt_at > source.last_error_at
    assert poll(source.pk, force=True).status == "ok"
    assert snapshot(source) == snapshot(reference), "nothing lost, nothing twice"
    created = TaskEvent.objects.filter(task__source=source, kind="CREATED").count()
    assert created == UserTask.objects.filter(source=source).count()
    assert Source.objects.get(pk=source.pk).consecutive_failures == 0


@pytest.mark.parametrize("engine", ENGINES)
def test_a_poll_rides_out_a_few_faulted_requests_by_retrying_them(
    engine, make_source, staff, simulators, settings
):
    settings.SYNC_HTTP_TIMEOUT = 1
    settings.SYNC_HTTP_ATTEMPTS = len(FAULT_KINDS) + 1
    reference = make_source(engine, name=f"{engine}-reference")
    assert poll(reference.pk).status == "ok"
    source = make_source(engine, name=f"{engine}-faulty")
    for fault in FAULT_KINDS:  # each kind once, in turn: one request meets them all
        spec = {**fault, "retry_after": 1} if fault["kind"] == "429" else fault
        control(simulators, "POST", "faults", json={"engine": engine, "count": 1, **spec})
    assert poll(source.pk).status == "ok", Source.objects.get(pk=source.pk).last_error
    assert snapshot(source) == snapshot(reference)
    created = TaskEvent.objects.filter(task__source=source, kind="CREATED").count()
    assert created == UserTask.objects.filter(source=source).count()


def writes(sims, engine):
    return [
        (w["method"], w["path"]) for w in control(sims, "GET", f"{engine}/writebacks")["writebacks"]
    ]


def push_pending():
    return [
        push_command(c.pk)
        for c in OutboxCommand.objects.filter(status__in=("pending", "retrying")).order_by("id")
    ]


def open_task(source, user):
    return (
        UserTask.objects.filter(source=source, status="UNASSIGNED", group__in=user.groups.all())
        .order_by("created_at")
        .first()
    )


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        ("uipath", ["AssignTasks", "UnassignTasks", "AssignTasks", "UnassignTasks"]),
        ("littlehorse", ["assign", "assign", "assign", "assign", "cancel"]),
        ("strategy", ["cancel"]),
        ("cloudflare", []),
    ],
)
def test_claim_release_assign_and_cancel_reach_the_engine(
    engine, expected, make_source, staff, admin, simulators
):
    source = make_source(engine)
    poll(source.pk)
    alice, bob = staff["users"]["alice"], staff["users"]["bob"]
    task = open_task(source, alice)
    lifecycle.task_claim(task_id=task.id, user=alice)
    lifecycle.task_release(task_id=task.id, user=alice)
    lifecycle.task_assign(task_id=task.id, actor=admin, user=bob)
    lifecycle.task_assign(task_id=task.id, actor=admin, group="support")
    if engine in ("uipath", "cloudflare"):
        # Neither can cancel one human step from outside: refused before anything changes.
        with pytest.raises(Unsupported, match="an admin can close"):
            lifecycle.task_admin_cancel(task_id=task.id, actor=admin, message="not needed")
    else:
        lifecycle.task_admin_cancel(task_id=task.id, actor=admin, message="not needed")
    outcomes = push_pending()
    paths = [path.rsplit("/", 1)[-1].rsplit(".", 1)[-1] for _, path in writes(simulators, engine)]
    if engine in ("uipath", "cloudflare"):
        assert outcomes == [
            "delivered",
            "delivered",
            "delivered",
            "delivered",
        ]  # no cancel command was written
        task.refresh_from_db()
        assert task.status == "UNASSIGNED" and not task.outbox.filter(action="cancel").exists()
    elif engine == "strategy":
        assert outcomes == ["delivered"] * 5  # routing stays local: claims are no-ops upstream
    else:
        assert set(outcomes) == {"delivered"}
    assert paths == expected


@pytest.mark.parametrize(
    ("engine", "actions", "paths"),
    [
        ("uipath", ["pause", "resume", "close"], ["pause", "resume", "cancel"]),
        ("cloudflare", ["pause", "resume", "close"], ["status", "status", "status"]),
        ("strategy", ["pause", "resume", "close"], ["pause", "resume", "cancel"]),
        ("docusign", ["close"], ["cancel"]),
    ],
)
def test_case_actions_reach_the_engine(
    engine, actions, paths, make_source, staff, admin, simulators
):
    source = make_source(engine)
    poll(source.pk)
    case = Case.objects.filter(source=source, status="running").order_by("id").first()
    for action in actions:
        case_request_action(case_id=case.pk, actor=admin, action=action)
        assert push_pending() == ["delivered"], action
        poll(source.pk, force=True)
        case.refresh_from_db()
    assert [path.rsplit("/", 1)[-1] for _, path in writes(simulators, engine)] == paths
    assert case.status == "cancelled"
