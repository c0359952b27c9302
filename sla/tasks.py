"""Celery tasks of service levels, kept thin: call a service."""

from celery import shared_task

from sla.receivers import RECOMPUTE


@shared_task(name="sla.tasks.scan_escalations", acks_late=True)
def scan_escalations() -> int:
    """Beat: fire the escalation rules whose moment has passed."""
    from sla.scanner import scan

    return scan().fired


@shared_task(name=RECOMPUTE, acks_late=True)
def recompute(policy_ids: list[int]) -> int:
    """After policies, rules or calendars change: their open tasks' dates, in bulk."""
    from sla.policies import recompute_open_tasks

    return recompute_open_tasks(policy_ids=policy_ids)
