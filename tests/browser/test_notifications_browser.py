"""The header bell in a real browser: its count rises when a task is assigned to you and
falls when you read the notification."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from inbox import lifecycle
from notifications.fanout import pump
from tests.factories import GroupFactory, TaskFactory, UserFactory

pytestmark = pytest.mark.browser


def test_the_bell_rises_on_assignment_and_falls_when_read(open_session, transactional_db):
    finance = GroupFactory(name="finance")
    alice = UserFactory(username="alice", first_name="Alice", groups=[finance])
    admin = UserFactory(username="ada")
    admin.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    task = TaskFactory(group=finance, title="Approve the Lisbon trip")
    lifecycle.task_claim(task_id=task.id, user=alice)
    lifecycle.task_release(task_id=task.id, user=alice)
    pump()  # what the worker does; the new-task batch notice is read below
    from notifications.models import Notification

    Notification.objects.update(read_at="2026-01-01T00:00:00Z")

    session = open_session(alice)
    page = session.go("/")
    bell = page.locator("#bell")
    expect(bell).to_be_visible()
    expect(page.locator("#bell .bell-count")).to_have_count(0)

    lifecycle.task_assign(task_id=task.id, actor=admin, user=alice)
    pump()
    expect(page.locator("#bell .bell-count")).to_have_text("1", timeout=10_000)
    session.shot("bell-unread")

    page.locator("#bell").click()
    expect(page.get_by_role("heading", name="Notifications")).to_be_visible()
    page.get_by_role("button", name="Assigned to you: Approve the Lisbon trip").click()
    expect(page).to_have_url(f"{session.live_server.url}/tasks/{task.id}/")
    expect(page.locator("#bell")).to_be_visible()
    expect(page.locator("#bell .bell-count")).to_have_count(0, timeout=10_000)
