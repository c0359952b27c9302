"""The Celery application; tasks live in ``inbox/tasks.py``."""

import os

from celery import Celery
from celery.signals import worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("inbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_shutdown.connect
def flush_dispatch(**_kwargs) -> None:
    """A worker process that stops publishes the wake-up messages its tasks handed to the
    dispatch publisher thread first (billiard children may skip ``atexit``)."""
    from inbox import dispatch

    dispatch.flush(5.0)
