"""Metrics, health checks and JSON logs, as an operator sees them."""

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from prometheus_client.parser import text_string_to_metric_families

from inbox import lifecycle
from inbox.models import Source
from ops import tasks as ops_tasks
from ops.logs import ContextFilter, json_formatter
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.factories import TaskFactory
from tests.sync.conftest import source_settings

TOKEN = "metrics-test-token"


def scrape(client, **headers):
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}", **headers})
    assert response.status_code == 200, response.content
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


@pytest.fixture
def metrics_token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_IPS = []


def test_metrics_change_when_a_task_is_claimed(client, metrics_token, group, member):
    tasks = [TaskFactory(group=group) for _ in range(3)]
    ops_tasks.refresh_open_snapshot.apply()  # the beat job, every minute
    before = scrape(client)
    unassigned = ("inbox_open_tasks", (("group", "finance"), ("status", "UNASSIGNED")))
    assigned = ("inbox_open_tasks", (("group", "finance"), ("status", "ASSIGNED")))
    assert before[unassigned] == 3
    assert before[assigned] == 0
    lifecycle.task_claim(task_id=tasks[0].pk, user=member)
    ops_tasks.refresh_open_snapshot.apply()
    after = scrape(client)
    assert after[unassigned] == 2
    assert after[assigned] == 1


def test_metrics_show_request_latency_by_view_and_outbox_backlog(
    client, metrics_token, group, member
):
    engine = Source.objects.create(name="lh-ops", kind=Source.Kind.LITTLEHORSE)
    task = TaskFactory(group=group, source=engine, external_id="x-1")
    claimed_at = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with time_machine.travel(claimed_at, tick=False):
        lifecycle.task_claim(task_id=task.pk, user=member)  # queues a claim write-back
    client.force_login(member)
    client.get("/")
    with time_machine.travel(claimed_at + timedelta(seconds=90), tick=False):
        samples = scrape(client)
    assert samples[("inbox_outbox_pending", (("source", "lh-ops"),))] == 1
    ((age,),) = (
        connection.cursor()
        .execute(
            "SELECT EXTRACT(EPOCH FROM %s - MIN(created_at)) FROM inbox_outboxcommand "
            "WHERE source_id = %s AND status = 'pending'",
            [claimed_at + timedelta(seconds=90), engine.pk],
        )
        .fetchall()
    )
    assert samples[("inbox_outbox_oldest_pending_age_seconds", (("source", "lh-ops"),))] == 90
    assert float(age) == 90
    assert samples[("inbox_source_consecutive_failures", (("source", "lh-ops"),))] == 0
    latency = [
        value
        for (name, labels), value in samples.items()
        if name == "inbox_http_request_duration_seconds_count" and ("view", "inbox:home") in labels
    ]
    assert latency and latency[0] >= 1


def test_metrics_count_celery_task_outcomes(client, metrics_token, db):
    key = (
        "inbox_celery_tasks_total",
        (("outcome", "success"), ("task", "ops.tasks.refresh_open_snapshot")),
    )
    before = scrape(client).get(key, 0)
    ops_tasks.refresh_open_snapshot.apply()
    assert scrape(client)[key] == before + 1


def test_metrics_count_a_failed_celery_task(client, metrics_token, db):
    key = (
        "inbox_celery_tasks_total",
        (("outcome", "failure"), ("task", "ops.tasks.refresh_open_snapshot")),
    )
    before = scrape(client).get(key, 0)
    result = ops_tasks.refresh_open_snapshot.apply(args=["not", "a", "call"])  # TypeError
    assert result.state == "FAILURE"
    assert scrape(client)[key] == before + 1


def test_metrics_refuse_without_the_token_or_an_allowed_address(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = []
    response = client.get("/metrics")
    assert response.status_code == 403 and b"METRICS_TOKEN" in response.content
    settings.METRICS_TOKEN = TOKEN
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    settings.METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics").status_code == 403
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_IPS = ["127.0.0.0/8"]
    assert client.get("/metrics").status_code == 200  # the test client is 127.0.0.1


def test_healthz_answers_without_signing_in(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_readyz_checks_database_broker_cache_and_migrations(client, db):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "broker": "ok",
        "cache": "ok",
    }


def test_readyz_is_503_when_the_broker_is_unreachable(client, settings, db):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["broker"].startswith("failed")
    assert response.json()["checks"]["database"] == "ok"


@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable(client):
    assert client.get("/readyz").status_code == 200
    connection = connections["default"]
    saved = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: the database is "down"
    try:
        response = client.get("/readyz")
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"].startswith("failed")
    assert client.get("/readyz").status_code == 200  # and ready again once it is back


@pytest.fixture
def json_lines():
    """Every record of the inbox's loggers, rendered by the LOG_FORMAT=json formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    handler.addFilter(ContextFilter())
    loggers = [
        logging.getLogger(n) for n in ("inbox.request", "inbox.celery", "inbox.sync.upstream")
    ]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.INFO)

    def lines():
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    for lg, (level, _) in zip(loggers, saved, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def test_one_json_line_per_request_with_request_and_user_id(client, json_lines, member):
    client.force_login(member)
    response = client.get("/history/?q=x", headers={"X-Request-ID": "req-abc-1"})
    assert response["X-Request-ID"] == "req-abc-1"
    (line,) = [entry for entry in json_lines() if entry["logger"] == "inbox.request"]
    assert line["request_id"] == "req-abc-1"
    assert line["user_id"] == member.pk
    assert line["path"] == "/history/"  # never the query string
    assert line["status"] == 200 and line["view"] == "inbox:history"
    assert line["duration_ms"] >= 0 and line["level"] == "INFO"


def test_a_bad_request_id_is_replaced(client, json_lines, db):
    response = client.get("/healthz", headers={"X-Request-ID": "no spaces\nallowed"})
    assert len(response["X-Request-ID"]) == 32
    (line,) = json_lines()
    assert line["request_id"] == response["X-Request-ID"] and line["user_id"] is None


def test_sync_logs_each_upstream_call_and_the_celery_task_without_secrets(
    client,
    json_lines,
    simulators,  # noqa: F811
    metrics_token,
    db,
):
    source = Source.objects.create(name="lh-sim", **source_settings(simulators, "littlehorse"))
    from inbox.tasks import poll_source

    poll_source.apply(args=[source.pk, True])
    lines = json_lines()
    upstream = [entry for entry in lines if entry["logger"] == "inbox.sync.upstream"]
    assert upstream, lines
    assert all(entry["source"] == "lh-sim" and entry["status"] == 200 for entry in upstream)
    assert all(
        entry["upstream_path"].startswith("/") and entry["duration_ms"] >= 0 for entry in upstream
    )
    (task_line,) = [entry for entry in lines if entry["logger"] == "inbox.celery"]
    assert task_line["task"] == "inbox.tasks.poll_source" and task_line["state"] == "SUCCESS"
    assert all(entry["request_id"] == task_line["task_id"] for entry in upstream)
    everything = json.dumps(lines)
    assert "sim-token" not in everything
    samples = scrape(client)
    assert samples[("inbox_poll_duration_seconds_count", (("source", "lh-sim"),))] >= 1
    assert samples[("inbox_polls_total", (("outcome", "ok"), ("source", "lh-sim")))] >= 1


def test_backfill_command_rolls_up_past_days(seeded, admin):
    from django.core.management import call_command

    from ops.filters import StatsFilters
    from ops.models import DailyTaskStats
    from ops.stats import dashboard_stats

    before = dashboard_stats(admin, StatsFilters(days=30))
    DailyTaskStats.objects.all().delete()
    out = io.StringIO()
    call_command("ops_rollup", "--days", "30", stdout=out)
    assert "Rolled up 30 day(s)" in out.getvalue()
    assert dashboard_stats(admin, StatsFilters(days=30))["daily"] == before["daily"]
