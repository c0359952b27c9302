"""Celery signal receivers: one log line per task run (with its id as the request id), task
outcome counters, and poll duration/outcome by source for ``inbox.tasks.poll_source``."""

import logging
import time

from celery import signals

from ops.logs import request_id_var
from ops.metrics import CELERY_TASKS, POLL_DURATION, POLLS

log = logging.getLogger("inbox.celery")
POLL_TASK = "inbox.tasks.poll_source"
_started: dict[str, tuple[float, object]] = {}


def _source_name(args) -> str:
    from inbox.models import Source

    if not args:
        return ""
    name = Source.objects.filter(pk=args[0]).values_list("name", flat=True).first()
    return name or str(args[0])


@signals.task_prerun.connect
def on_prerun(task_id=None, task=None, **kwargs):
    _started[task_id] = (time.perf_counter(), request_id_var.set(task_id or ""))


@signals.task_postrun.connect
def on_postrun(task_id=None, task=None, args=None, state=None, retval=None, **kwargs):
    started, token = _started.pop(task_id, (None, None))
    duration = time.perf_counter() - started if started is not None else 0.0
    outcome = (state or "UNKNOWN").lower()
    CELERY_TASKS.labels(task.name, outcome).inc()
    extra = {
        "task": task.name,
        "task_id": task_id,
        "state": state,
        "duration_ms": round(duration * 1000, 1),
    }
    if task.name == POLL_TASK:
        source = _source_name(args)
        poll_outcome = str(retval) if state == "SUCCESS" else outcome
        POLL_DURATION.labels(source).observe(duration)
        POLLS.labels(source, poll_outcome).inc()
        extra["source"] = source
    log.info("task %s %s", task.name, state, extra=extra)
    if token is not None:
        request_id_var.reset(token)
