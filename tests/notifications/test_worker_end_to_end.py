"""End to end with a real Celery worker on Redis, a real SMTP server and a real HTTP receiver:
an assignment reaches the in-app list, the mailbox and a webhook exactly once; a burst into a
group mails each member one batched notice; a SIGKILLed worker neither loses nor duplicates a
delivery."""

import signal
import subprocess
import time
from datetime import timedelta
from email import message_from_bytes

import pytest
from rest_framework.test import APIClient

from inbox import lifecycle
from notifications.models import Notification, WebhookDelivery
from notifications.webhooks import sweep, webhook_create
from tests import celery_workers
from tests.factories import SourceFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def start_worker(broker, smtp_server):
    """Workers that mail through the test's SMTP server and batch new-claimable notices by 2 s."""
    workers = []
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_server.port),
        "NOTIFY_BATCH_SECONDS": "2",
        "WEBHOOK_TIMEOUT": "3",
    }

    def start(name: str) -> subprocess.Popen:
        workers.append(celery_workers.start_worker(broker, name, log=subprocess.DEVNULL, env=env))
        return workers[-1]

    yield start
    for worker in workers:
        celery_workers.stop(worker)


def wait_for(predicate, what: str, timeout: float = 40):
    return celery_workers.wait_for(predicate, what, timeout, every=0.2)


def test_an_assignment_reaches_app_mail_and_webhook_exactly_once(
    start_worker, smtp_server, receiver, local_targets, admin, assignee, task
):
    start_worker("w1")
    webhook_create(name="crm", url=receiver.url, events=["task.assigned"], created_by=admin)
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post(
        f"/api/v1/admin/tasks/{task.id}/assign/", {"user": "alice"}, format="json"
    )
    assert response.status_code == 200, response.content
    wait_for(lambda: receiver.requests, "the webhook")

    def assigned_mails():
        return [
            message_from_bytes(m.content)
            for m in smtp_server.messages
            if m.rcpt_tos == [assignee.email]
            and "Assigned to you" in message_from_bytes(m.content)["Subject"]
        ]

    wait_for(assigned_mails, "the mail")
    time.sleep(3)  # anything doubled would arrive by now
    assert Notification.objects.filter(user=assignee, kind="assigned").count() == 1
    (parsed,) = assigned_mails()
    assert parsed["Subject"] == f"[Inbox] Assigned to you: {task.title}"
    assert parsed.is_multipart()  # text and HTML
    assert len(receiver.requests) == 1


def test_a_burst_into_a_group_mails_each_member_one_batched_notice(
    start_worker, smtp_server, group, assignee, member
):
    start_worker("w1")
    source = SourceFactory()
    for start in range(0, 1000, 250):  # four import pages
        rows = [
            {
                "external_id": f"b{i}",
                "wf_run_id": "r",
                "task_type": "t",
                "title": f"T{i}",
                "status": "UNASSIGNED",
                "group": group,
            }
            for i in range(start, start + 250)
        ]
        lifecycle.tasks_upstream_create(source=source, rows=rows)
    wait_for(lambda: len(smtp_server.messages) >= 2, "the batched mails")
    time.sleep(4)  # a second batch would arrive by now
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [assignee.email, member.email]
    counts = sorted(
        Notification.objects.filter(kind="new_claimable").values_list("count", flat=True)
    )
    assert sum(counts) == 2000  # every task counted once per member


def test_a_sigkilled_worker_neither_loses_nor_duplicates_a_delivery(
    start_worker, receiver, local_targets, admin, group
):
    receiver.hang_first = 60  # the first delivery hangs until the worker is killed
    webhook_create(name="crm", url=receiver.url, events=["task.created"], created_by=admin)
    first = start_worker("doomed")
    source = SourceFactory()
    tasks = [
        lifecycle.task_create(title=f"T{i}", task_type="t", source=source, group=group)
        for i in range(5)
    ]
    wait_for(lambda: receiver.requests, "the first (hanging) delivery")
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert WebhookDelivery.objects.filter(status="delivered").count() == 0
    start_worker("rescuer")
    sweep(stale_after=timedelta(0))  # what the beat's sweep does for messages of dead workers
    wait_for(
        lambda: WebhookDelivery.objects.filter(status="delivered").count() == len(tasks),
        "every delivery",
    )
    time.sleep(2)
    delivered = set(WebhookDelivery.objects.values_list("delivery_id", flat=True))
    assert sorted(receiver.answered_ok) == sorted(str(d) for d in delivered)  # each once
    task_ids = [r.json["task"]["id"] for r in receiver.requests if r.json]
    assert set(task_ids) == {str(t.id) for t in tasks}
