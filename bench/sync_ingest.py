"""Ingest benchmark: a UiPath-like and a LittleHorse-like source synced from the simulators at
--scale N into PostgreSQL. One command per measure, each printing both sides and the ratio:

    B=".venv/bin/python bench/sync_ingest.py"; export DATABASE_URL=postgres://.../inbox_bench
    $B import     # import of pre-fetched pages vs COPY of the same rows   (goal: >= 25 %)
    $B e2e        # full sync (poll) vs the connectors alone (no database)  (goal: >= 70 %),
                  # also vs min(connector, COPY of the rows the sync wrote),
                  # and the worker's peak memory                            (goal: < 300 MB)
    $B nochange   # a poll that finds nothing new, after a full sync: seconds and writes
                  # (goals at 100,000 tasks: LittleHorse <= 3 s, UiPath <= 1 s, 0 writes);
                  # two such polls per source: the first after the sync, then the next one

``--scale`` (default 100000) is passed to ``python -m simulators``; the database named in
DATABASE_URL is dropped and created again. The polls run in this process, as in a worker.
"""

import argparse
import contextlib
import cProfile
import gc
import io
import os
import pstats
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# What the importer writes for a full sync, in an order COPY can load them back (foreign keys).
TABLES = [
    "inbox_outboxcommand",  # empty: listed so that TRUNCATE may empty the tables it references
    "inbox_case",
    "inbox_stage",
    "inbox_caseevent",
    "inbox_usertask",
    "inbox_taskevent",
    "notifications_eventoutbox",
]
GOALS = {
    "import": 0.25,
    "e2e": 0.70,
    "rss_mb": 300,
    "nochange": {"littlehorse": 3.0, "uipath": 1.0},
}


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


def ratio(mine: float, other: float, goal: float) -> str:
    value = mine / other if other else float("inf")
    return f"ratio {value:.2f} (goal >= {goal:.2f}: {'met' if value >= goal else 'NOT met'})"


class Bench:
    """Simulators in a subprocess, a fresh database, and the two bench sources."""

    def __init__(self, scale: int):
        url = os.environ.setdefault(
            "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench"
        )
        os.environ.setdefault("SECRET_KEY", "bench-only")
        os.environ.setdefault("CELERY_BROKER_URL", "memory://")
        os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
        recreate_database(url)
        started = time.monotonic()
        # Port 0: the simulators take free ports when they bind, and print their addresses.
        self.sims = subprocess.Popen(
            [sys.executable, "-m", "simulators", "--port", "0", "--scale", str(scale)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        urls = {}
        for line in self.sims.stdout:
            name, _, url = line.strip().partition(" ")
            urls[name] = url
            if line.startswith("ready"):
                break
        else:
            raise SystemExit("the simulators did not start")
        print(f"simulators at --scale {scale} ready in {time.monotonic() - started:.1f} s")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from inbox.models import Source

        self.sources = [
            Source.objects.create(
                name="uipath-bench",
                kind="uipath",
                base_url=urls["uipath"],
                credentials={"token": "sim-token"},
                # Stages are two requests per instance; a full ingest benchmark measures tasks.
                watch={
                    "org": "acme",
                    "tenant": "prod",
                    "folder_id": 1001,
                    "stages": False,
                    "folder_key": "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13",
                },
                poll_max_seconds=3600,
                poll_max_pages=100_000,
            ),
            Source.objects.create(
                name="littlehorse-bench",
                kind="littlehorse",
                base_url=urls["littlehorse"],
                credentials={"token": "sim-token"},
                watch={"tenant": "default"},
                poll_max_seconds=3600,
                poll_max_pages=100_000,
            ),
        ]

    def close(self) -> None:
        self.sims.terminate()
        self.sims.wait(10)


def counts(source) -> tuple[int, int]:
    from inbox.models import Case, UserTask

    return (
        UserTask.objects.filter(source=source).count(),
        Case.objects.filter(source=source).count(),
    )


def connector_only(source) -> tuple[int, float]:
    """Walk and parse every page and fetch the details a full sync needs, writing nothing.
    Tasks are counted once (a LittleHorse full sync lists its open tasks twice: the full walk,
    then the first open-only walk)."""
    from inbox.sync.registry import connector_for

    seen, t0 = set(), time.monotonic()
    with connector_for(source) as connector:
        hydrate = getattr(connector, "hydrate", None)
        for page in connector.pages({}):
            if hydrate is not None and page.tasks:
                page.tasks = hydrate(page.tasks, page.rejected)
            seen.update(record.external_id for record in page.tasks)
    return len(seen), time.monotonic() - t0


def full_poll(source, steps: bool = False) -> tuple[int, int, float]:
    """``steps``: print the per-task wall-clock profile of the importer's steps."""
    from inbox.sync.poller import poll

    timers = Steps() if steps else contextlib.nullcontext()
    t0 = time.monotonic()
    with timers:
        result = poll(source.pk, force=True)
    took = time.monotonic() - t0
    if result.status != "ok":
        raise SystemExit(f"{source.name}: full sync {result.status}: {result.error}")
    tasks, cases = counts(source)
    if steps:
        timers.print(tasks, f"{source.name} full sync", wall=took)
    return tasks, cases, took


class Steps:
    """Wall-clock time of the importer's steps, per task, while a measure runs: the named
    functions are wrapped with timers for the duration (a timer costs well under 1 µs a call,
    about 2 calls a task) and restored after. The steps do not nest in one another, so the
    remainder of ``import_page`` is the importer's own Python (mapping records to rows and
    model instances, event and outbox rows, the SLA hook) and its small queries. Garbage
    collection pauses are counted apart (they fall inside the other steps). In a poll the
    next page is fetched and parsed in a helper thread meanwhile (``prefetch``): a step that
    waits for the database gives it the GIL and may wait to get it back, so the wall time of
    those steps there includes some of the connector's work."""

    def __init__(self):
        from django.db.backends.base.base import BaseDatabaseWrapper

        from inbox import bulk
        from inbox.sync import importer, quarantine, stored
        from inbox.sync.littlehorse import LittleHorseConnector

        self.targets = {
            # The poller passes the connector's hydrate to import_page: engine requests.
            "LittleHorse detail fetches (connector, in the poll)": (
                LittleHorseConnector,
                "hydrate",
            ),
            "open rows' fingerprints read once a walk": (stored.WalkPrints, "_preload"),
            "fingerprint (orjson + BLAKE2b of each record)": (importer, "_fingerprint"),
            "screen (quarantine checks)": (quarantine, "screen"),
            "lookups of stored fingerprints and cases": (bulk, "stored"),
            "model instances (bulk.new_instances)": (bulk, "new_instances"),
            "ids from sequences": (bulk, "_new_ids"),
            "COPY (rows prepared, sent and loaded)": (bulk, "_copy"),
            "commit (deferred foreign-key checks)": (BaseDatabaseWrapper, "_commit"),
        }
        from inbox.sync import poller

        # import_page as the bench calls it, and as the poller (which imported it by name).
        self.totals = [(importer, "import_page"), (poller, "import_page")]
        self.seconds = dict.fromkeys([*self.targets, "import_page"], 0.0)
        self.gc = 0.0
        self.inside = 0  # only the steps taken inside import_page are counted
        self._saved = []

    def _wrap(self, owner, name, label):
        original = getattr(owner, name)
        seconds, total = self.seconds, label == "import_page"

        def timed(*args, **kwargs):
            if not (total or self.inside):
                return original(*args, **kwargs)
            started = time.perf_counter()
            self.inside += total
            try:
                return original(*args, **kwargs)
            finally:
                self.inside -= total
                seconds[label] += time.perf_counter() - started

        self._saved.append((owner, name, original))
        setattr(owner, name, timed)

    def _gc(self, phase, info):
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.gc += time.perf_counter() - self._gc_started

    def __enter__(self):
        for label, (owner, name) in self.targets.items():
            self._wrap(owner, name, label)
        for owner, name in self.totals:
            self._wrap(owner, name, "import_page")
        gc.callbacks.append(self._gc)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._gc)
        for owner, name, original in reversed(self._saved):
            setattr(owner, name, original)

    def print(self, tasks: int, label: str, wall: float | None = None) -> None:
        """µs per task of each step; ``wall``: the measure's whole time (the rest of it is
        outside ``import_page``: fetching pages, reconciling, lease and cursor writes)."""
        total = self.seconds["import_page"]
        print(f"{label}: per task, {tasks} tasks (wall-clock µs per task):")
        inside = 0.0
        for step in self.targets:
            inside += self.seconds[step]
            print(f"    {step:50s} {self.seconds[step] / tasks * 1e6:8.1f}")
        own = "the importer's own Python and small queries"
        print(f"    {own:50s} {(total - inside) / tasks * 1e6:8.1f}")
        print(f"    {'= import_page in all':50s} {total / tasks * 1e6:8.1f}")
        if wall is not None:
            rest = "outside import_page (waiting for pages, other)"
            print(f"    {rest:50s} {(wall - total) / tasks * 1e6:8.1f}")
        print(f"    (garbage collection pauses within these: {self.gc / tasks * 1e6:.1f})")


def measure_import(bench: Bench) -> None:
    """Import of pages fetched (and hydrated) beforehand, then COPY of the rows it wrote."""
    from django.db import connection

    from inbox.sync import importer
    from inbox.sync.importer import ImportStats, Mapper
    from inbox.sync.registry import connector_for

    fetched = {}
    for source in bench.sources:
        t0 = time.monotonic()
        with connector_for(source) as connector:
            hydrate = getattr(connector, "hydrate", None)
            pages = []
            for page in connector.pages({}):
                if hydrate is not None and page.tasks:
                    page.tasks = hydrate(page.tasks, page.rejected)
                pages.append(page)
        fetched[source] = pages
        count = len({r.external_id for p in pages for r in p.tasks})
        took = time.monotonic() - t0
        print(
            f"{source.name}: fetched {count} tasks in {len(pages)} pages beforehand "
            f"({took:.1f} s: connector fetch + parse {took / count * 1e6:.0f} µs per task)"
        )
    total_tasks = total_rows = 0
    # The pages held here (every record of both sources, over a million objects) are the
    # bench's, not a worker's (a poll holds a page or two): the garbage collector is told to
    # leave them out of its full collections, which otherwise scan them all again and again
    # (60-80 µs per task imported, measured).
    gc.collect()
    gc.freeze()
    t0 = time.monotonic()
    for source, pages in fetched.items():
        mapper, stats, started = Mapper(source), ImportStats(), time.monotonic()
        with Steps() as steps:
            for page in pages:
                stats.add(importer.import_page(source, page, mapper=mapper))
        took = time.monotonic() - started
        print(
            f"{source.name}: imported {stats.tasks_created} tasks and {stats.cases_created} "
            f"cases in {took:.1f} s ({stats.tasks_created / took:.0f} tasks/s)"
        )
        steps.print(stats.tasks_created, f"{source.name} import")
        total_tasks += stats.tasks_created
    imported = time.monotonic() - t0
    gc.unfreeze()
    del fetched
    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            total_rows += cursor.fetchone()[0]
    # COPY of the very rows the import wrote: out to memory, truncate, then timed back in.
    dumps = {}
    raw = connection.connection
    with raw.cursor() as cursor:
        for table in TABLES:
            buffer = io.BytesIO()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:
                for chunk in copy:
                    buffer.write(chunk)
            dumps[table] = buffer.getvalue()
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        raw.commit()
        t0 = time.monotonic()
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(dumps[table])
        raw.commit()
        copied = time.monotonic() - t0
    import_rate, copy_rate = total_tasks / imported, total_tasks / copied
    print(
        f"import: {total_tasks} tasks ({total_rows} rows with their events, cases and outbox "
        f"rows) in {imported:.1f} s = {import_rate:.0f} tasks/s "
        f"({total_rows / imported:.0f} rows/s)"
    )
    print(
        f"COPY of the same rows: {copied:.1f} s = {copy_rate:.0f} tasks/s "
        f"({total_rows / copied:.0f} rows/s; {copied / total_tasks * 1e6:.0f} µs per task, "
        f"vs the import's {imported / total_tasks * 1e6:.0f})"
    )
    print(f"import vs COPY: {ratio(import_rate, copy_rate, GOALS['import'])}")


# The rows of one source in each table of TABLES (a condition on the table's own columns).
OF_SOURCE = {
    "inbox_outboxcommand": "source_id = %(source)s",
    "inbox_case": "source_id = %(source)s",
    "inbox_stage": "case_id IN (SELECT id FROM inbox_case WHERE source_id = %(source)s)",
    "inbox_caseevent": "case_id IN (SELECT id FROM inbox_case WHERE source_id = %(source)s)",
    "inbox_usertask": "source_id = %(source)s",
    "inbox_taskevent": "task_id IN (SELECT id FROM inbox_usertask WHERE source_id = %(source)s)",
    "notifications_eventoutbox": (
        "event_id IN (SELECT e.id FROM inbox_taskevent e JOIN inbox_usertask t "
        "ON t.id = e.task_id WHERE t.source_id = %(source)s) OR case_event_id IN "
        "(SELECT e.id FROM inbox_caseevent e JOIN inbox_case c ON c.id = e.case_id "
        "WHERE c.source_id = %(source)s)"
    ),
}


def copy_floor(source) -> tuple[float, int]:
    """COPY of the rows one source's sync wrote: every table dumped to memory (that source's
    rows apart), emptied, the other rows loaded back untimed, then that source's rows timed.
    Returns (seconds, rows); the database ends as it was."""
    from django.db import connection

    raw = connection.connection
    mine, rest, rows = {}, {}, 0
    with raw.cursor() as cursor:
        for table in TABLES:
            where = f"COALESCE(({OF_SOURCE[table] % {'source': int(source.pk)}}), false)"
            for out, condition in ((mine, where), (rest, f"NOT {where}")):
                buffer = io.BytesIO()
                with cursor.copy(f"COPY (SELECT * FROM {table} WHERE {condition}) TO STDOUT") as c:
                    for chunk in c:
                        buffer.write(chunk)
                out[table] = buffer.getvalue()
            cursor.execute(f"SELECT count(*) FROM {table} WHERE {where}")
            rows += cursor.fetchone()[0]
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} CASCADE")
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(rest[table])
        raw.commit()
        t0 = time.monotonic()
        for table in TABLES:
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                copy.write(mine[table])
        raw.commit()
        return time.monotonic() - t0, rows


def measure_e2e(bench: Bench) -> None:
    """Connectors alone first (this also warms the simulators' list caches), then a full sync,
    then COPY of the rows it wrote: the sync cannot write faster than COPY, so the honest
    comparison is against the slower of the connector and COPY."""
    synced = []
    for source in bench.sources:
        only, took_only = connector_only(source)
        print(
            f"{source.name}: connector only {only} tasks in {took_only:.1f} s: "
            f"{took_only / only * 1e6:.0f} µs per task"
        )
        synced.append((source, only, took_only, *full_poll(source, steps=True)))
    # The worker's peak, before the COPY below holds every row of the tables in this process.
    rss = peak_rss_mb()
    for source, only, took_only, tasks, cases, took in synced:
        copied, rows = copy_floor(source)
        e2e, connector, copy = tasks / took, only / took_only, tasks / copied
        print(
            f"{source.name}: connector only {only} tasks in {took_only:.1f} s "
            f"({connector:.0f} tasks/s)"
        )
        print(
            f"{source.name}: full sync {tasks} tasks and {cases} cases in {took:.1f} s "
            f"({e2e:.0f} tasks/s)"
        )
        print(
            f"{source.name}: COPY of the {rows} rows it wrote (tasks, events, cases, outbox) "
            f"{copied:.1f} s ({copy:.0f} tasks/s)"
        )
        print(f"{source.name}: end to end vs connector only: {ratio(e2e, connector, GOALS['e2e'])}")
        floor = "connector" if connector <= copy else "COPY"
        print(
            f"{source.name}: end to end vs min(connector only, COPY) = {floor}: "
            f"{ratio(e2e, min(connector, copy), GOALS['e2e'])}"
        )
    verdict = "met" if rss < GOALS["rss_mb"] else "NOT met"
    print(f"worker peak RSS {rss:.0f} MB (goal < {GOALS['rss_mb']} MB: {verdict})")


def measure_nochange(bench: Bench, profile: bool = False) -> None:
    """``profile``: cProfile each no-change poll (in this process) and print the top calls."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from inbox.sync.poller import poll

    sizes = {}
    for source in bench.sources:
        tasks, cases, took = full_poll(source)
        sizes[source.pk] = tasks
        print(f"{source.name}: full sync {tasks} tasks and {cases} cases in {took:.1f} s")
    # The first poll after a full sync, then the next one (steady state: a LittleHorse poll
    # remembers its open-task pages from the poll before).
    for source in [*bench.sources, *bench.sources]:
        tasks = sizes[source.pk]
        profiler = cProfile.Profile() if profile else None
        with CaptureQueriesContext(connection) as queries:
            t0, cpu = time.monotonic(), time.process_time()
            if profiler is not None:
                profiler.enable()
            again = poll(source.pk, force=True)
            if profiler is not None:
                profiler.disable()
            took, cpu = time.monotonic() - t0, time.process_time() - cpu
        writes = [
            q["sql"]
            for q in queries.captured_queries
            if q["sql"].lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "COPY")
        ]
        bookkeeping = [q for q in writes if '"inbox_source"' in q.split("WHERE")[0]]
        goal = GOALS["nochange"][source.kind]
        print(
            f"{source.name}: no-change poll ({again.status}) {took:.2f} s ({cpu:.2f} s of it "
            f"this process's CPU) for {tasks} tasks, "
            f"{len(queries.captured_queries)} queries, {len(writes) - len(bookkeeping)} writes "
            f"to tasks, cases or events (+{len(bookkeeping)} lease/cursor updates); created "
            f"{again.stats.tasks_created}, updated {again.stats.tasks_updated}; "
            f"goal <= {goal:.1f} s: ratio {took / goal:.2f} of it "
            f"({'met' if took <= goal and len(writes) == len(bookkeeping) else 'NOT met'})"
        )
        if profiler is not None:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
            pstats.Stats(profiler).sort_stats("tottime").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("measure", choices=["import", "e2e", "nochange"])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument(
        "--profile", action="store_true", help="nochange: cProfile the polls, print top calls"
    )
    args = parser.parse_args()
    bench = Bench(args.scale)
    try:
        if args.measure == "nochange":
            measure_nochange(bench, profile=args.profile)
        else:
            {"import": measure_import, "e2e": measure_e2e}[args.measure](bench)
    finally:
        bench.close()


if __name__ == "__main__":
    main()
