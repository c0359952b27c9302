"""Celery beat jobs of the operations app, thin: call the rollup service."""

from celery import shared_task


@shared_task
def rollup_recent() -> dict:
    """Refresh today's and yesterday's daily rollups (and the open-task snapshot)."""
    from ops.rollup import rollup_recent as run

    return run()


@shared_task
def refresh_open_snapshot() -> int:
    """Refresh the open-task counts the dashboard shows."""
    from ops.rollup import refresh_open_snapshot as run

    return run()
