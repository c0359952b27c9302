"""Restarting `make run` keeps the simulated engines and the database consistent: both start from
the seed again. A task cancelled (and a user added) in one run is, after the restart, open again
in the inbox exactly as the restarted engine reports it, and the demo users are the same.

Runs what `make run` runs before honcho (demo_reset, migrate, seed_demo, demo_sources) on the
embedded defaults in a temporary var/, against the real simulators (`python -m simulators`,
restarted between the two runs as `make run` restarts them), with one poll of each source.
"""

import socket
import subprocess
import sys
import time

from tests.embedded import ROOT, run_embedded
from tests.test_make_run_shutdown import _free_port

SETUP = """
import io, django
django.setup()
from django.core.management import call_command
quiet = io.StringIO()
for name, kwargs in [("demo_reset", {{}}), ("migrate", {{"verbosity": 0}}), ("seed_demo", {{}}),
                     ("demo_sources", {{"port": {port}, "no_poll": True}})]:
    call_command(name, stdout=quiet, **kwargs)
from accounts.models import User
from inbox import lifecycle
from inbox.models import Source, TaskStatus, UserTask
from inbox.sync.poller import poll
for source in Source.objects.filter(name__endswith="-demo").order_by("name"):
    print("poll-" + source.name, poll(source.pk).status)
open_tasks = UserTask.objects.filter(status__in=[TaskStatus.UNASSIGNED, TaskStatus.ASSIGNED])
print("open", open_tasks.count())
print("engine_open", open_tasks.exclude(source__kind="local").count())
print("users", ",".join(User.objects.order_by("username").values_list("username", flat=True)))
print("admin_password_ok", User.objects.get(username="admin").check_password("inbox-admin-demo"))
watched = "{watched}"
if watched:
    task = UserTask.objects.get(source__name=watched.split("|")[0], external_id=watched.split("|")[1])
    print("watched_status", task.status)
if {change}:
    admin = User.objects.get(username="admin")
    from inbox.errors import Unsupported
    for task in open_tasks.exclude(source__kind="local").order_by("source__name", "external_id"):
        try:  # the first engine task its engine lets the inbox cancel
            lifecycle.task_admin_cancel(task_id=task.pk, actor=admin, message="restart test")
            break
        except Unsupported:
            continue
    User.objects.create_user("mallory", password="x")
    print("cancelled", task.source.name + "|" + task.external_id)
"""


def _start_simulators(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--port", str(port), "--anchor", "today"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            for offset in range(6):
                socket.create_connection(("127.0.0.1", port + offset), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the simulators did not start")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _run(var_dir, port, watched="", change=False) -> dict[str, str]:
    simulators = _start_simulators(port)
    try:
        return run_embedded(
            SETUP.format(port=port, watched=watched, change=change), var_dir, timeout=300
        )
    finally:
        _stop(simulators)


def test_a_restart_reseeds_the_engines_and_the_database_together(tmp_path):
    port = _free_port(6)
    first = _run(tmp_path, port, change=True)
    assert all(first[k] == "ok" for k in first if k.startswith("poll-")), first
    assert int(first["engine_open"]) > 0
    assert first["admin_password_ok"] == "True"
    assert "mallory" not in first["users"]
    source_and_id = first["cancelled"]

    # what `make run` does on the next start: the engines restart from their seed, and so does
    # the database; the task cancelled last time is open again, as the engine says it is
    second = _run(tmp_path, port, watched=source_and_id)
    assert all(second[k] == "ok" for k in second if k.startswith("poll-")), second
    assert second["watched_status"] in ("UNASSIGNED", "ASSIGNED")
    assert second["open"] == first["open"] and second["engine_open"] == first["engine_open"]
    assert second["users"] == first["users"] and "mallory" not in second["users"]
    assert second["admin_password_ok"] == "True"
