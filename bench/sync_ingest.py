"""Ingest benchmark: one full sync of a UiPath-like and a LittleHorse-like source into
PostgreSQL from the simulators at --scale N, then a second poll that finds nothing new.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench .venv/bin/python bench/sync_ingest.py

Prints, per source: tasks and cases imported, seconds, tasks per second, the process's peak
memory (the poll runs in this process, as in a worker), and the time and query count of the
second poll. The database named in DATABASE_URL is dropped and created again.
"""

import argparse
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def free_port_block(size: int = 6) -> int:
    for base in range(18100, 19000, 10):
        ok = True
        for port in range(base, base + size):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    ok = False
                    break
        if ok:
            return base
    raise SystemExit("no free ports for the simulators")


def recreate_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    args = parser.parse_args()

    url = os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench")
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "memory://")
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    recreate_database(url)

    port = free_port_block()
    started = time.monotonic()
    sims = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--port", str(port), "--scale", str(args.scale)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    for line in sims.stdout:
        if line.startswith("ready"):
            break
    print(f"simulators at --scale {args.scale} ready in {time.monotonic() - started:.1f} s")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    from inbox.models import Case, Source, UserTask
    from inbox.sync.poller import poll

    sources = [
        Source.objects.create(
            name="uipath-bench",
            kind="uipath",
            base_url=f"http://127.0.0.1:{port + 1}",
            credentials={"token": "sim-token"},
            # Stages are two requests per instance; a full ingest benchmark measures tasks.
            watch={
                "org": "acme",
                "tenant": "prod",
                "folder_id": 1001,
                "stages": False,
                "folder_key": "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13",
            },
        ),
        Source.objects.create(
            name="littlehorse-bench",
            kind="littlehorse",
            base_url=f"http://127.0.0.1:{port + 5}",
            credentials={"token": "sim-token"},
            watch={"tenant": "default"},
        ),
    ]
    try:
        for source in sources:
            t0 = time.monotonic()
            result = poll(source.pk, force=True)
            took = time.monotonic() - t0
            if result.status != "ok":
                raise SystemExit(f"{source.name}: first poll {result.status}: {result.error}")
            tasks = UserTask.objects.filter(source=source).count()
            cases = Case.objects.filter(source=source).count()
            print(
                f"{source.name}: full sync {tasks} tasks and {cases} cases in {took:.1f} s "
                f"({tasks / took:.0f} tasks/s, {result.pages} pages), peak RSS {peak_rss_mb():.0f} MB"
            )
            with CaptureQueriesContext(connection) as queries:
                t0 = time.monotonic()
                again = poll(source.pk, force=True)
                took = time.monotonic() - t0
            print(
                f"{source.name}: second poll ({again.status}) {took:.2f} s, "
                f"{len(queries.captured_queries)} queries, created {again.stats.tasks_created}, "
                f"updated {again.stats.tasks_updated}"
            )
    finally:
        sims.terminate()
        sims.wait(10)


if __name__ == "__main__":
    main()
