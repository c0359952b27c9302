"""Ask for background work by Celery task *name*: the one way the low floors (the lifecycle, sync
services, notifications) queue work without importing the Celery task modules above them.

``send`` never fails the caller and never waits on the broker. A message is a wake-up hint: the
work it names is already a durable row (an OutboxCommand, an EventOutbox row, a delivery), and
the periodic sweepers (``inbox.tasks.sweep_outbox``, ``notifications.tasks.sweep``) re-queue
whatever was missed. So, unless the app is eager, ``send`` hands the message to this process's
publisher thread and returns at once; the request that changed a task answers without waiting
for the broker's round trips.

The publisher: one daemon thread per process (started on first use, again in a forked child),
fed through a bounded queue. After a first message it sleeps ``GATHER_SECONDS`` (once: it does
not wake for each message handed over meanwhile; a ``flush`` ends the sleep), then takes what
arrived (at most ``BATCH_LIMIT``), drops exact repeats (the same task, arguments and
countdown: the "pump the notifications outbox" hints of changes made meanwhile become one; a
repeat of a message still waiting in the queue is not even queued) and
publishes the rest on one pooled producer. The write-back pushes of a batch (``push_outbox``
without a countdown) go out as ONE message naming all their commands, in the order they were
asked for (``PUSH_OUTBOX_MANY``, at most ``PUSH_GROUP_LIMIT`` a message): a publish costs more
CPU than the claim that asked for it (about 1 ms: Celery builds the message, kombu makes a
Redis client and two round trips), so under load a web process publishes one message per
``GATHER_SECONDS`` instead of one per engine-task change. A full queue (the broker is slow or
down) makes ``send`` publish in place, so memory stays bounded and nothing is dropped silently.
``flush`` waits until everything handed over is published; it runs at interpreter exit (a
gunicorn or Celery worker stopping), and tests or benchmarks may call it. When the app is eager
(the embedded setup, ``CELERY_TASK_ALWAYS_EAGER``) ``send`` runs the task in place, as before.

Call ``send`` from ``transaction.on_commit`` so nothing is queued for a change that rolled back.
"""

import atexit
import logging
import os
import queue
import threading

log = logging.getLogger(__name__)

PUSH_OUTBOX = "inbox.tasks.push_outbox_command"
PUSH_OUTBOX_MANY = "inbox.tasks.push_outbox_commands"
POLL_SOURCE = "inbox.tasks.poll_source"

QUEUE_LIMIT = 10_000  # messages waiting for the publisher thread before send publishes in place
BATCH_LIMIT = 500  # messages the thread takes at once (and de-duplicates) before publishing
# How long the thread gathers after a first message before publishing: under load, the repeats
# of that window (one "pump" per change) go out once, and its write-back pushes as one message.
# Each publish costs about 1.3 ms of CPU in this process (and, in a web process, delays the
# request thread while it holds the GIL): at 0.2 s a busy process publishes at most ~10 times
# a second, i.e. well under 1 ms per claim, for hints that may start their work 0.2 s later.
GATHER_SECONDS = 0.2
# Write-backs one PUSH_OUTBOX_MANY message names at most (a worker pushes them one by one).
PUSH_GROUP_LIMIT = 50


def send(name: str, *args, countdown: float | None = None) -> bool:
    """Queue the task registered as ``name``: handed to the publisher thread (returns True), or
    run in place when the app is eager. False only when publishing in place failed."""
    from celery import current_app

    app = current_app._get_current_object()  # the thread must not fall back to Celery's default
    if app.conf.task_always_eager:
        return _publish(app, None, name, args, countdown)
    return _publisher().put((app, name, args, countdown))


def push_outbox(command_id: int, *, countdown: float | None = None) -> bool:
    """Push one write-back (OutboxCommand) to its engine."""
    return send(PUSH_OUTBOX, command_id, countdown=countdown)


def push_outbox_many(command_ids: list[int]) -> bool:
    """Push several write-backs, one after another in this order, from one message."""
    return send(PUSH_OUTBOX_MANY, list(command_ids))


def poll_source_now(source_id: int) -> bool:
    """ "Sync now": poll a source at once, outside its schedule and its backoff."""
    return send(POLL_SOURCE, source_id, True)


def flush(timeout: float = 10.0) -> bool:
    """Wait until every message handed to this process's publisher is published (or failed and
    logged); False when ``timeout`` passed first."""
    publisher = _current
    if publisher is None or publisher.pid != os.getpid():
        return True
    return publisher.flush(timeout)


def _publish(app, producer, name: str, args: tuple, countdown: float | None) -> bool:
    try:
        task = app.tasks.get(name)
        if task is not None:  # honours task_always_eager, as the embedded/test setups use
            task.apply_async(args, countdown=countdown, producer=producer)
        else:
            app.send_task(name, args=args, countdown=countdown, producer=producer)
        return True
    except Exception:  # broker unreachable: a sweeper picks the work up later
        log.warning("could not enqueue %s%r; the sweeper will retry", name, args, exc_info=True)
        return False


class _Publisher:
    """One process's publisher thread and its bounded queue (see the module's docstring)."""

    def __init__(self):
        self.pid = os.getpid()
        self.queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        # Messages in the queue that the thread has not taken yet: ``put`` skips an exact repeat
        # (the notifications "pump" hint of every change) without queueing and waking it.
        self.waiting: set = set()
        self.lock = threading.Lock()
        self.wake = threading.Event()  # set by ``flush``: ends the gathering window at once
        self.thread = threading.Thread(target=self._run, name="inbox-dispatch", daemon=True)
        self.thread.start()

    def put(self, item: tuple) -> bool:
        app, name, args, countdown = item
        key = (id(app), name, repr(args), countdown)
        with self.lock:
            if key in self.waiting:
                return True  # the same message waits in the queue, not taken yet: one will do
            self.waiting.add(key)
        try:
            self.queue.put_nowait(item)
            return True
        except queue.Full:
            with self.lock:
                self.waiting.discard(key)
            return _publish(app, None, name, args, countdown)

    def _take(self, item):
        """What the thread took from the queue: from now on an equal message queues again."""
        if not isinstance(item, threading.Event):
            app, name, args, countdown = item
            with self.lock:
                self.waiting.discard((id(app), name, repr(args), countdown))
        return item

    def flush(self, timeout: float) -> bool:
        done = threading.Event()
        try:
            self.queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        self.wake.set()  # a flush waits for no gathering window
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            batch = [self._take(self.queue.get())]
            if not isinstance(batch[0], threading.Event):
                # One sleep for the whole window, cut short only by a flush: the thread does not
                # wake (and take the GIL from a request thread) for every message handed over.
                self.wake.wait(GATHER_SECONDS)
            self.wake.clear()
            while len(batch) < BATCH_LIMIT:
                try:
                    batch.append(self._take(self.queue.get_nowait()))
                except queue.Empty:
                    break
            try:
                self._publish_batch(batch)
            except Exception:  # never let the thread die: later hints must still go out
                log.exception("the dispatch publisher failed on a batch; the sweepers will retry")

    def _publish_batch(self, batch: list) -> None:
        seen, messages, flushed = set(), [], []
        for item in batch:
            if isinstance(item, threading.Event):
                flushed.append(item)
                continue
            app, name, args, countdown = item
            key = (id(app), name, repr(args), countdown)
            if key not in seen:
                seen.add(key)
                messages.append(item)
        by_app: dict[int, list] = {}
        for item in messages:
            by_app.setdefault(id(item[0]), []).append(item)
        for items in by_app.values():
            app = items[0][0]
            items = _group_pushes(items)
            try:
                with app.producer_or_acquire() as producer:  # one pooled connection per batch
                    for _, name, args, countdown in items:
                        _publish(app, producer, name, args, countdown)
            except Exception:  # no connection at all: the sweepers re-queue the work
                log.warning("could not publish %d messages; the sweepers will retry", len(items))
        for event in flushed:
            event.set()


def _group_pushes(items: list) -> list:
    """``items`` (of one app) with its immediate write-back pushes replaced by
    ``PUSH_OUTBOX_MANY`` messages naming their commands in order; a lone push stays as it is."""
    pushes = [
        args[0] for _, name, args, countdown in items if name == PUSH_OUTBOX and not countdown
    ]
    if len(pushes) < 2:
        return items
    app = items[0][0]
    rest = [item for item in items if not (item[1] == PUSH_OUTBOX and not item[3])]
    for start in range(0, len(pushes), PUSH_GROUP_LIMIT):
        rest.append((app, PUSH_OUTBOX_MANY, (pushes[start : start + PUSH_GROUP_LIMIT],), None))
    return rest


_current: _Publisher | None = None
_lock = threading.Lock()


def _publisher() -> _Publisher:
    """This process's publisher; a forked child starts its own (the parent's thread and queue
    do not survive a fork, and what was queued there is the parent's to publish)."""
    global _current
    publisher = _current
    if publisher is not None and publisher.pid == os.getpid():
        return publisher
    with _lock:
        if _current is None or _current.pid != os.getpid():
            _current = _Publisher()
        return _current


atexit.register(flush, 5.0)
