"""Only steps that wait for a person become tasks (strategy engine, real HTTP to the simulator);
automated events show in the case's execution history; creation times are never in the future."""

import importlib

from django.apps import apps
from django.utils import timezone

from inbox import lifecycle
from inbox.models import Case, Source, TaskEvent, UserTask
from inbox.sync.poller import poll
from tests.factories import SourceFactory

AUTOMATED = {"charge-card", "send-renewal-notice", "schedule-call"}


def test_automated_events_never_become_tasks(make_source, staff):
    source = make_source("strategy")
    poll(source.pk, force=True)
    poll(source.pk, force=True)
    tasks = UserTask.objects.filter(source=source)
    assert tasks.exists()
    assert not tasks.filter(task_type__in=AUTOMATED).exists()
    # Every imported task waits for a person: none is born finished with nobody's decision.
    assert not tasks.filter(status__in=["DONE", "CANCELLED"]).exists()
    assert set(tasks.values_list("task_type", flat=True)) <= {
        "review-failed-payment",
        "confirm-renewal-terms",
        "call-customer",
    }
    now = timezone.now()
    assert not tasks.filter(created_at__gt=now).exists()
    # The automated events are in the cases' execution history instead.
    history = [
        entry for case in Case.objects.filter(source=source) for entry in (case.history or [])
    ]
    automated = [e for e in history if e["task"] in AUTOMATED]
    assert automated and not any(e["person"] for e in automated)


def test_a_future_creation_time_is_clamped_to_now(db):
    source = SourceFactory(name="cf-future", kind=Source.Kind.CLOUDFLARE)
    future = timezone.now() + timezone.timedelta(days=30)
    [task] = lifecycle.tasks_upstream_create(
        source=source,
        rows=[
            {
                "external_id": "run:wait",
                "wf_run_id": "run",
                "task_type": "approval",
                "title": "Scheduled",
                "status": "UNASSIGNED",
                "created_at": future,
            }
        ],
    )
    task.refresh_from_db()
    assert task.created_at <= timezone.now()


def test_the_data_migration_removes_automated_event_tasks(db, member):
    migration = importlib.import_module("inbox.migrations.0004_true_lists")
    source = SourceFactory(name="strategy-old", kind=Source.Kind.STRATEGY)
    rows = [
        {
            "external_id": sid,
            "wf_run_id": "inst-1",
            "task_type": task_type,
            "title": task_type,
            "status": status,
            "created_at": timezone.now() + timezone.timedelta(days=20),
        }
        for sid, task_type, status in (
            ("e1", "charge-card", "DONE"),
            ("e2", "charge-card", "CANCELLED"),
            ("e3", "review-failed-payment", "UNASSIGNED"),
        )
    ]
    lifecycle.tasks_upstream_create(source=source, rows=rows)
    UserTask.objects.filter(source=source).update(
        created_at=timezone.now() + timezone.timedelta(days=20)
    )
    migration.remove_automated_strategy_tasks(apps, None)
    migration.clamp_future_creation_times(apps, None)
    left = UserTask.objects.filter(source=source)
    assert list(left.values_list("external_id", flat=True)) == ["e3"]
    assert left.get().created_at <= timezone.now()
    assert not TaskEvent.objects.filter(task__external_id__in=["e1", "e2"]).exists()
