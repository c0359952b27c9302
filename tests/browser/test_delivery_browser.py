"""Delivery in a real browser: the person who decided watches the decision reach the engine,
and an admin retries a write-back the engine refused, from the Outbox page."""

import httpx
import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox import lifecycle
from inbox.models import OutboxCommand, Source, UserTask
from inbox.sync.outbox import push_command
from inbox.sync.poller import poll
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.factories import GroupFactory, UserFactory
from tests.sync.conftest import source_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def engine_work(transactional_db, simulators):  # noqa: F811
    """A LittleHorse source polled in, alice in its groups, an admin."""
    groups = [GroupFactory(name=name) for name in ("finance", "support")]
    alice = UserFactory(username="alice", groups=groups)
    admin = UserFactory(username="ada")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    source = Source.objects.create(
        name="lh", poll_interval=5, **source_settings(simulators, "littlehorse")
    )
    assert poll(source.pk).status == "ok"
    task = (
        UserTask.objects.filter(source=source, status="UNASSIGNED", group__in=groups)
        .order_by("created_at")
        .first()
    )
    return {"alice": alice, "admin": admin, "source": source, "task": task}


def test_the_task_page_shows_the_decision_on_its_way_then_delivered(open_session, engine_work):
    task, alice = engine_work["task"], engine_work["alice"]
    lifecycle.task_claim(task_id=task.id, user=alice)
    session = open_session(alice)
    page = session.go(f"/tasks/{task.pk}/")
    card = page.locator("#delivery")
    expect(card.locator("[data-write-back=claim]")).to_contain_text("on its way")
    expect(page.locator("[data-delivery-flag]")).to_contain_text("On its way to the engine")

    # A worker pushes it; the page, left open, shows it delivered without a reload.
    assert push_command(OutboxCommand.objects.get(task=task).pk) == "delivered"
    expect(card.locator("[data-write-back=claim]")).to_contain_text("delivered", timeout=8000)
    expect(card).to_contain_text("Delivered")
    session.shot("delivery-delivered")


def test_an_admin_retries_a_refused_write_back_from_the_outbox_page(
    open_session,
    engine_work,
    simulators,  # noqa: F811
):
    task, alice, admin = engine_work["task"], engine_work["alice"], engine_work["admin"]
    lifecycle.task_claim(task_id=task.id, user=alice)
    control = f"{simulators.control_url}/_control/faults"
    httpx.post(
        control, json={"engine": "littlehorse", "kind": "status", "status": 400, "method": "POST"}
    ).raise_for_status()
    command = OutboxCommand.objects.get(task=task)
    assert push_command(command.pk) == "failed"
    httpx.delete(control).raise_for_status()

    session = open_session(admin)
    page = session.go("/console/sources/")
    page.locator("a.badge", has_text="1 failed").click()
    row = page.locator(f"tr[data-command='{command.pk}']")
    expect(row).to_contain_text("400")
    row.get_by_role("button", name="Retry").click()
    expect(page.locator(f"tr[data-command='{command.pk}']")).to_have_count(0)
    command.refresh_from_db()
    assert command.status == "pending"

    assert push_command(command.pk) == "delivered"
    page = session.go(f"/console/outbox/{command.pk}/")
    expect(page.locator("#command")).to_have_attribute("data-state", "delivered")
    page = session.go(f"/tasks/{task.pk}/")
    expect(page.locator(".ev-body", has_text="ada retried the claim write-back")).to_have_count(1)
    expect(page.locator("#delivery [data-write-back=claim]")).to_contain_text("delivered")
