"""`make run` stops every process it started within 10 seconds of SIGTERM (or Ctrl-C), leaving
none behind, even while the worker is in the middle of a poll that would take a minute.

Runs what `make run` runs after its setup: honcho with the Procfile, on the embedded defaults
(SQLite and the filesystem broker in a temporary var/), on free ports.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
STOP_WITHIN = 10.0

SETUP = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from inbox.models import Source
Source.objects.create(
    name="stuck", kind="littlehorse", base_url="{url}", poll_interval=1,
    credentials={{"token": "tok-in-no-log-line"}},
)
"""


def _free_port(count: int = 1) -> int:
    """A port p such that p .. p+count-1 are free now."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + count > 65000:
            continue
        try:
            sockets = []
            for port in range(base, base + count):
                s = socket.socket()
                s.bind(("127.0.0.1", port))
                sockets.append(s)
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no free ports")


def _children_of(root: int) -> set[int]:
    """Every live descendant of ``root`` (by parent pid, across sessions)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - found
        found |= frontier
    return found


def _describe(pids) -> str:
    lines = []
    for pid in pids:
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            cmd = "?"
        lines.append(f"{pid}: {cmd[:150]}")
    return "\n".join(lines)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def stuck_engine():
    """An engine that accepts connections and never answers: a poll against it hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://robot:pw-in-no-log-line@127.0.0.1:{server.getsockname()[1]}/"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


SCENARIOS = {
    "SIGTERM": [signal.SIGTERM],
    "Ctrl-C": [signal.SIGINT],
    # honcho sends SIGTERM, then dies before its SIGKILL round (its output pipe closed, say):
    # the worker must end its shutdown by itself (no 50-minute warm shutdown).
    "honcho-dies-mid-shutdown": [signal.SIGTERM, signal.SIGKILL],
    # honcho killed outright: its children must not run on as orphans.
    "honcho-killed": [signal.SIGKILL],
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_make_run_stops_every_process_within_ten_seconds(tmp_path, stuck_engine, scenario):
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY", "PORT")
    }
    env.update(
        DEBUG="true",
        INBOX_VAR_DIR=str(tmp_path),
        DJANGO_SETTINGS_MODULE="config.settings",
        PATH=f"{BIN}:{env.get('PATH', '')}",
        INBOX_WEB_PORT=str(_free_port()),
        SIMULATORS_PORT=str(_free_port(6)),
        SYNC_HTTP_TIMEOUT="120",  # a poll of the stuck engine would hang two minutes
        PYTHONUNBUFFERED="1",
        PYTHONPATH=str(ROOT),  # this checkout, whatever the venv was installed from
    )
    setup = subprocess.run(
        [sys.executable, "-c", SETUP.format(url=stuck_engine)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert setup.returncode == 0, setup.stderr
    log = tmp_path / "honcho.log"
    with log.open("w") as out:
        honcho = subprocess.Popen(
            [str(BIN / "honcho"), "start", "-f", "Procfile"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            text = log.read_text()
            if (
                "poll_source" in text
                and "received" in text
                and "Starting development server" in text
            ):
                break
            assert honcho.poll() is None, text
            time.sleep(0.5)
        else:
            pytest.fail("the worker never started polling:\n" + log.read_text()[-3000:])
        time.sleep(1)  # the poll is now hanging on the stuck engine
        started = sorted(_children_of(honcho.pid))
        assert len(started) >= 4, started  # simulators, web, worker (+ pool), beat

        sent = time.monotonic()
        for sig in SCENARIOS[scenario]:
            os.kill(honcho.pid, sig)
            time.sleep(0.5)
        with contextlib.suppress(subprocess.TimeoutExpired):
            honcho.wait(timeout=STOP_WITHIN)
        while time.monotonic() - sent < STOP_WITHIN and any(_alive(p) for p in started):
            time.sleep(0.1)
        took = time.monotonic() - sent
        left = [p for p in started if _alive(p)]
        assert not left and honcho.poll() is not None, (
            f"still running {took:.1f}s after {scenario}:\n{_describe(left)}\n"
            f"{log.read_text()[-3000:]}"
        )
        assert took <= STOP_WITHIN
        print(f"{scenario}: all {len(started)} processes gone {took:.1f} s after the signal")
        text = log.read_text()
        assert "pw-in-no-log-line" not in text and "tok-in-no-log-line" not in text
    finally:
        for pid in [*started, honcho.pid]:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        honcho.wait(timeout=10)
