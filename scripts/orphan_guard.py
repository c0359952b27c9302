"""Run a command that stops when the process tree that started it goes away:
``python scripts/orphan_guard.py COMMAND [ARG...]``.

`make run` starts its processes under honcho, each in its own session (so Ctrl-C reaches honcho
only, which then stops them). If honcho dies without stopping them (killed, its terminal or
output pipe gone), they would run on as orphans holding var/ (the Celery worker once stayed in
"warm shutdown" for 50 minutes). honcho runs each command from a helper process, so the kernel's
"signal me when my parent dies" would watch the helper, not honcho; this guard instead watches
its parent and grandparent and, when either is gone, sends the command SIGTERM, then SIGKILL
(the command and its descendants) after ``GRACE`` seconds.

A signal the guard gets (honcho's SIGTERM goes to the whole group, so the command has it too) is
passed on only if the command still runs ``GRACE`` seconds later. The guard exits with the
command's exit status.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time

GRACE = 6.0  # the Celery worker's soft shutdown takes up to CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT
POLL = 0.25


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return int(stat.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watched() -> list[int]:
    """The parent and (on Linux) the grandparent, leaving out init."""
    parent = os.getppid()
    chain = [parent]
    grand = _parent_of(parent)
    if grand:
        chain.append(grand)
    return [pid for pid in chain if pid > 1]


def _descendants(root: int) -> list[int]:
    parents = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    for entry in entries:
        if entry.isdigit():
            ppid = _parent_of(int(entry))
            if ppid is not None:
                parents[int(entry)] = ppid
    found, frontier = [], {root}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - set(found)
        found.extend(frontier)
    return found


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: orphan_guard.py COMMAND [ARG...]", file=sys.stderr)
        return 2
    watched = _watched()
    child = subprocess.Popen(argv)

    received: list[tuple[int, float]] = []

    def note(signum, frame):
        received.append((signum, time.monotonic()))

    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
        signal.signal(signum, note)

    while child.poll() is None:
        # honcho signals the whole process group, so the command got it too; pass a signal on
        # only when the command is still running GRACE seconds later (sent to the guard alone).
        if received and time.monotonic() - received[0][1] >= GRACE:
            child.send_signal(received.pop(0)[0])
        if not all(_alive(pid) for pid in watched) or os.getppid() != watched[0]:
            child.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + GRACE
            while child.poll() is None and time.monotonic() < deadline:
                time.sleep(POLL)
            if child.poll() is None:
                for pid in [*_descendants(child.pid), child.pid]:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
            break
        time.sleep(POLL)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
