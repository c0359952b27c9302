"""UiPath, Cloudflare, strategy engine and DocuSign connectors against their simulators."""

import httpx
import pytest

from inbox import lifecycle
from inbox.cases import case_request_action
from inbox.errors import TaskStateError, Unsupported
from inbox.models import Case, OutboxCommand, Stage, TaskEvent, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll

pytestmark = pytest.mark.django_db


def control(sims, method, path, **kwargs):
    response = httpx.request(method, f"{sims.control_url}/_control/{path}", **kwargs)
    response.raise_for_status()
    return response.json()


def writebacks(sims, engine):
    return control(sims, "GET", f"{engine}/writebacks")["writebacks"]


def push_all(task=None, case=None):
    commands = OutboxCommand.objects.filter(status__in=("pending", "retrying")).order_by("id")
    if task is not None:
        commands = commands.filter(task=task)
    if case is not None:
        commands = commands.filter(case=case)
    return [push_command(c.pk) for c in commands]


def sync_twice_is_idempotent(source):
    assert poll(source.pk).status == "ok"
    events = TaskEvent.objects.count()
    cases = list(Case.objects.filter(source=source).values_list("upstream_hash", flat=True))
    second = poll(source.pk, force=True)
    assert second.status == "ok", second.error
    assert second.stats.tasks_created == second.stats.tasks_updated == 0
    assert second.stats.cases_created == second.stats.cases_updated == 0
    assert TaskEvent.objects.count() == events
    assert list(Case.objects.filter(source=source).values_list("upstream_hash", flat=True)) == cases


def complete_one(source, user):
    task = (
        UserTask.objects.filter(source=source, status="UNASSIGNED", group__in=user.groups.all())
        .order_by("created_at")
        .first()
    )
    assert task is not None, "the engine has open work for this user's groups"
    lifecycle.task_claim(task_id=task.id, user=user)
    results = {
        f["name"]: {"BOOLEAN": True, "STRING": "fine", "INTEGER": 1, "DOUBLE": 2.5}[f["type"]]
        for f in task.fields
        if f["required"]
    }
    lifecycle.task_complete(task_id=task.id, user=user, results=results)
    outcomes = push_all(task=task)
    assert outcomes and set(outcomes) == {"delivered"}, outcomes
    return task


class TestUiPath:
    def test_it_syncs_cases_with_stages_and_action_tasks(self, make_source, staff):
        source = make_source("uipath")
        sync_twice_is_idempotent(source)
        cases = Case.objects.filter(source=source)
        assert cases.count() >= 25
        assert {"running", "completed"} <= set(cases.values_list("status", flat=True))
        case = cases.filter(status="running").first()
        stages = list(Stage.objects.filter(case=case).order_by("position"))
        assert stages and all(s.name for s in stages)
        assert case.history and case.progress_total == len(stages)
        tasks = UserTask.objects.filter(source=source)
        assert tasks.filter(status="UNASSIGNED").exists() and tasks.filter(status="DONE").exists()
        assert tasks.filter(case__isnull=False).count() == tasks.count(), "tasks join their case"

    def test_completing_an_action_task_reaches_orchestrator(self, make_source, staff, simulators):
        source = make_source("uipath")
        poll(source.pk)
        task = complete_one(source, staff["users"]["alice"])
        received = writebacks(simulators, "uipath")
        assert received[0]["path"].endswith("AssignTasks")
        complete = received[-1]
        assert complete["path"].endswith("CompleteTask")
        assert complete["body"]["taskId"] == int(task.external_id)
        assert complete["body"]["action"] == "approve"
        assert complete["headers"].get("x-uipath-organizationunitid") == "1001"

    def test_pause_and_close_reach_the_case(self, make_source, staff, admin, simulators):
        source = make_source("uipath")
        poll(source.pk)
        case = Case.objects.filter(source=source, status="running").first()
        case_request_action(case_id=case.pk, actor=admin, action="pause")
        assert push_all(case=case) == ["delivered"]
        poll(source.pk, force=True)
        case.refresh_from_db()
        assert case.status == "paused"
        with pytest.raises(TaskStateError):
            case_request_action(case_id=case.pk, actor=admin, action="pause")
        case_request_action(case_id=case.pk, actor=admin, action="close")
        assert push_all(case=case) == ["delivered"]
        poll(source.pk, force=True)
        case.refresh_from_db()
        assert case.status == "cancelled"
        assert not UserTask.objects.filter(case=case, status__in=["UNASSIGNED", "ASSIGNED"])


class TestCloudflare:
    def test_waiting_instances_become_tasks_completed_by_their_event(
        self, make_source, staff, simulators
    ):
        source = make_source("cloudflare")
        sync_twice_is_idempotent(source)
        assert Case.objects.filter(source=source).count() >= 25
        task = complete_one(source, staff["users"]["alice"])
        sent = writebacks(simulators, "cloudflare")[-1]
        step = task.external_id.split(":", 1)[1]
        assert sent["path"].endswith(f"/instances/{task.wf_run_id}/events/{step}")
        assert sent["body"]["approved"] is True
        poll(source.pk, force=True)
        task.refresh_from_db()
        assert task.status == "DONE"

    def test_step_output_comes_from_the_engine(self, make_source, staff):
        from inbox.sync.registry import connector_for

        source = make_source("cloudflare")
        poll(source.pk)
        case = Case.objects.filter(source=source, status="completed").first()
        step = next(h for h in case.history if h["type"] == "step")
        with connector_for(source) as connector:
            output = connector.step_output(case.external_id, step["name"], "step")
        assert output["status"] == "complete"


class TestStrategy:
    def test_on_hold_events_become_tasks_resumed_on_complete(self, make_source, staff, simulators):
        source = make_source("strategy")
        sync_twice_is_idempotent(source)
        open_tasks = UserTask.objects.filter(source=source, status="UNASSIGNED")
        assert open_tasks.exists()
        # the engine's step is described in words ("await-callback" is engine talk)
        assert all("await-callback" not in t.description for t in open_tasks)
        assert any(t.description == "In the engine: Waiting for a reply." for t in open_tasks)
        task = complete_one(source, staff["users"]["alice"])
        sent = writebacks(simulators, "strategy")[-1]
        assert sent["path"].endswith("/resume")
        assert sent["headers"].get("strategy-secret") == "sim-secret"
        poll(source.pk, force=True)
        task.refresh_from_db()
        assert task.status == "DONE"
        assert task.events.filter(kind="COMPLETED").count() == 1


class TestDocuSign:
    def test_instances_are_cases_and_only_close_is_offered(self, make_source, admin, simulators):
        source = make_source("docusign")
        sync_twice_is_idempotent(source)
        cases = Case.objects.filter(source=source)
        assert cases.count() >= 25
        running = cases.filter(status="running").first()
        assert running.progress_total and running.progress_done is not None
        # the execution history has a row for every completed step (4/6 done: 4 rows)
        for case in cases.filter(progress_done__gt=1):
            assert [h["step"] for h in case.history] == list(range(1, case.progress_done + 1))
            assert case.history[-1]["name"], case.payload
        with pytest.raises(Unsupported, match="pauses whole workflows only"):
            case_request_action(case_id=running.pk, actor=admin, action="pause")
        case_request_action(case_id=running.pk, actor=admin, action="close")
        assert push_all(case=running) == ["delivered"]
        poll(source.pk, force=True)
        running.refresh_from_db()
        assert running.status == "cancelled"
        ended = cases.filter(status="completed").first()
        with pytest.raises(TaskStateError):
            case_request_action(case_id=ended.pk, actor=admin, action="close")
