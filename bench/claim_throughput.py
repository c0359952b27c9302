"""Claim throughput over HTTP against its floor, side by side in one run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/inbox_bench_claims \\
    CELERY_BROKER_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/claim_throughput.py

Drops and creates the database named in DATABASE_URL, fills it with unassigned tasks (half
owned by an engine source, so a claim writes an outbox row and enqueues its push on the
broker; half local), starts gunicorn with 2 sync workers, and then, in interleaved slices of
a few seconds each, drives with the same client:

- the floor: a bare view doing only the one necessary
  ``UPDATE ... WHERE status = 'UNASSIGNED' RETURNING`` (``bench/floor_urls.py``), no auth;
- the API stack alone: an API view with the same token auth and throttling that answers a
  tiny JSON without touching a task (what any API call costs on this stack);
- the API claim (``POST /api/v1/tasks/<id>/claim/``, Bearer token, throttling on);
- the htmx row action (``POST /tasks/<id>/row/`` with ``claim``, session and CSRF);

each of the last two on engine tasks and on local tasks. Prints requests per second for each
side, its ratio to the floor, and (measured in-process before the run) the SQL statements one
request of each side makes and where its wall time goes (each SQL round trip, the broker
hand-off, the row's rendering and CSRF token, and the rest: parsing, middleware, auth, view). The broker queue the claims filled is purged at the end.
"""

import argparse
import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sync_ingest import recreate_database  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed(per_pool: int, pools: list[str]) -> dict:
    """A group, a claimer in it, a token and a session for them, and ``per_pool`` unassigned
    tasks for each pool (engine-owned or local), written with COPY."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from accounts.services import api_token_create
    from inbox.lifecycle import local_source
    from inbox.models import Source

    group = Group.objects.create(name="bench")
    user = User.objects.create(username="claimer", email="claimer@example.com", password="!")
    user.groups.add(group)
    floor_user = User.objects.create(username="floor", password="!")
    _, token = api_token_create(user=user, name="bench")
    client = Client()
    client.force_login(user)
    session = client.cookies["sessionid"].value
    engine = Source.objects.create(
        name="bench-engine", kind=Source.Kind.UIPATH, base_url="http://127.0.0.1:9/"
    )
    local = local_source()
    rng = random.Random(12)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ids: dict[str, list[str]] = {}
    columns = (
        "id, wf_run_id, source_id, external_id, task_type, title, description, status, "
        "group_id, upstream_assignee, priority, created_at, updated_at, fields, results, "
        "context, version, upstream_hash, delivery"
    )
    fields = '[{"name": "approved", "display_name": "Approved", "description": "", "type": "BOOLEAN", "required": true}]'  # noqa: E501
    n = 0
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY inbox_usertask ({columns}) FROM STDIN") as copy,
    ):
        for pool in pools:
            source = engine if pool.endswith("engine") else local
            ids[pool] = []
            for _ in range(per_pool):
                task_id = uuid.UUID(int=rng.getrandbits(128), version=4)
                when = start + timedelta(seconds=n)
                n += 1
                ids[pool].append(str(task_id))
                copy.write_row(
                    (
                        task_id,
                        f"run-{n}",
                        source.pk,
                        f"ext-{n}",
                        "approval",
                        f"Approve request {n}",
                        "",
                        "UNASSIGNED",
                        group.pk,
                        "",
                        0,
                        when,
                        when,
                        fields,
                        "{}",
                        '{"customer": "c1"}',
                        1,
                        "",
                        "",
                    )
                )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "user": user,
        "floor_user": floor_user,
        "token": token,
        "session": session,
        "ids": ids,
    }


CSRF = secrets.token_hex(16)  # 32 characters: Django accepts an unmasked secret as the token


def sides(facts: dict) -> dict:
    """How each side sends one request: (path template, headers, body)."""
    api_headers = {"Authorization": f"Bearer {facts['token']}", "Content-Length": "0"}
    row_headers = {
        "Cookie": f"sessionid={facts['session']}; csrftoken={CSRF}",
        "X-CSRFToken": CSRF,
        "HX-Request": "true",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    row_body = "claim=1&scope=claimable&next=/claimable/"
    return {
        "floor (bare UPDATE ... RETURNING)": ("floor", "/bench/floor/claim/{}/", {}, ""),
        "API stack alone (token, no task work)": ("tiny", "/bench/floor/api/{}/", api_headers, ""),
        "API claim, engine task": ("api-engine", "/api/v1/tasks/{}/claim/", api_headers, ""),
        "API claim, local task": ("api-local", "/api/v1/tasks/{}/claim/", api_headers, ""),
        "htmx row claim, engine task": ("row-engine", "/tasks/{}/row/", row_headers, row_body),
        "htmx row claim, local task": ("row-local", "/tasks/{}/row/", row_headers, row_body),
    }


STATEMENT_NAMES = (  # what a statement is, by a piece of its SQL (first match wins)
    ("WITH u AS (UPDATE", "claim: UPDATE + event + outbox rows (one statement, commits)"),
    ("accounts_apitoken", "auth: token lookup"),
    ("django_session", "auth: session read (first request of a session)"),
    ('FROM "accounts_user"', "auth: user read"),
    ("UNION ALL SELECT 1, group_id", "permission facts (pipelined with the task read)"),
    ('FROM "inbox_usertask"', "task read (one round trip with the facts)"),
    ("UPDATE inbox_usertask", "floor: UPDATE ... RETURNING (commits)"),
)


def statement_name(sql: str) -> str:
    for piece, name in STATEMENT_NAMES:
        if piece in sql:
            return name
    return sql[:60]


def count_queries(facts: dict, spec: dict, samples: int = 40) -> dict[str, tuple]:
    """In-process, per side: the SQL one request sends (BEGIN/COMMIT not shown), then the
    median CPU time of this process and the median wall time over ``samples`` requests (no
    HTTP, no gunicorn: what the request itself costs in Python, and with its database waits),
    and where that wall time goes (``breakdown``: median ms per part)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    import inbox.views.tasks as task_views
    from config.compiled import CompiledRead
    from inbox import dispatch

    # Timers around the parts of a request (measurement only: each wraps the original).
    parts: dict[str, float] = {}

    def timed(name, func):
        def wrapper(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + (time.perf_counter() - t0) * 1000

        return wrapper

    def sql_timer(execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if not parts.get("_in_pipeline"):
                name = statement_name(sql)
                parts[name] = parts.get(name, 0.0) + (time.perf_counter() - t0) * 1000

    first_along = CompiledRead.first_along_many

    def first_along_timed(self, *args, **kwargs):
        parts["_in_pipeline"] = 1
        t0 = time.perf_counter()
        try:
            return first_along(self, *args, **kwargs)
        finally:
            parts.pop("_in_pipeline")
            if self.model._meta.label == "accounts.User":
                name = (
                    "auth: session and/or user read + permission facts (one pipelined round trip)"
                )
            else:
                name = "task read + permission facts (one pipelined round trip)"
            parts[name] = parts.get(name, 0.0) + (time.perf_counter() - t0) * 1000

    patches = [
        (dispatch, "send", timed("publish hand-off (dispatch.send)", dispatch.send)),
        (task_views, "row_html", timed("rendering: row HTML", task_views.row_html)),
        (task_views, "get_token", timed("CSRF token for the row's form", task_views.get_token)),
        (CompiledRead, "first_along_many", first_along_timed),
    ]
    originals = [(obj, name, getattr(obj, name)) for obj, name, _ in patches]
    for obj, name, value in patches:
        setattr(obj, name, value)
    out = {}
    try:
        for label, (pool, path, headers, body) in spec.items():
            client = Client(enforce_csrf_checks=False)
            if pool.startswith("row"):
                client.cookies["sessionid"] = facts["session"]
            extra = {}
            for key, value in headers.items():
                if key in ("Cookie", "Content-Length", "Content-Type"):
                    continue
                extra["HTTP_" + key.upper().replace("-", "_")] = value
            task_id = facts["ids"][pool].pop()
            with CaptureQueriesContext(connection) as captured:
                response = client.post(
                    path.format(task_id),
                    data=body,
                    content_type="application/x-www-form-urlencoded",
                    **extra,
                )
            assert response.status_code == 200, (
                label,
                response.status_code,
                response.content[:300],
            )
            # Read them now: every later request clears the connection's query log.
            queries = [q["sql"] for q in captured.captured_queries]
            cpu, wall, split = [], [], []
            for _ in range(samples):
                task_id = facts["ids"][pool].pop()
                parts.clear()
                c0, t0 = time.process_time(), time.perf_counter()
                with connection.execute_wrapper(sql_timer):
                    client.post(
                        path.format(task_id),
                        data=body,
                        content_type="application/x-www-form-urlencoded",
                        **extra,
                    )
                cpu.append((time.process_time() - c0) * 1000)
                wall.append((time.perf_counter() - t0) * 1000)
                measured = dict(parts)
                rest = wall[-1] - sum(parts.values())
                measured["Python: parsing, middleware, auth, view (the rest)"] = rest
                split.append(measured)
            names = list(dict.fromkeys(name for measured in split for name in measured))
            breakdown = {
                name: statistics.median(measured.get(name, 0.0) for measured in split)
                for name in names
            }
            out[label] = (queries, statistics.median(cpu), statistics.median(wall), breakdown)
    finally:
        for obj, name, value in originals:
            setattr(obj, name, value)
    return out


def drive(port: int, path: str, headers: dict, body: str, ids: list, seconds: float, workers: int):
    """Send claims from ``workers`` threads for ``seconds``; returns (ok, errors, elapsed)."""
    stop_at = time.perf_counter() + seconds
    counts = [0, 0]
    lock = threading.Lock()
    encoded = body.encode()

    def run():
        ok = bad = 0
        while time.perf_counter() < stop_at:
            try:
                task_id = ids.pop()
            except IndexError:
                break
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                conn.request("POST", path.format(task_id), body=encoded, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    ok += 1
                else:
                    bad += 1
            finally:
                conn.close()
        with lock:
            counts[0] += ok
            counts[1] += bad

    t0 = time.perf_counter()
    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts[0], counts[1], time.perf_counter() - t0


def wait_ready(port: int, proc) -> None:
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    parser.add_argument("--seconds", type=float, default=2.0, help="per side per round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--show-sql", action="store_true", help="print each side's SQL")
    args = parser.parse_args()

    url = os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/inbox_bench_claims"
    )
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14")
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ["API_THROTTLE_RATE"] = "1000000/minute"  # throttling runs, but never refuses
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ["DJANGO_SETTINGS_MODULE"] = "floor_settings"
    recreate_database(url)

    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    pools = ["floor", "tiny", "api-engine", "api-local", "row-engine", "row-local"]
    per_pool = int(args.rounds * args.seconds * 1500) + 100
    t0 = time.perf_counter()
    facts = seed(per_pool, pools)
    print(f"seeded {per_pool * len(pools):,} unassigned tasks in {time.perf_counter() - t0:.0f} s")
    spec = sides(facts)
    os.environ["BENCH_FLOOR_USER"] = str(facts["floor_user"].pk)

    print("\nPer request, in-process (SQL statements, BEGIN/COMMIT not counted; medians):")
    print(f"  {'side':38s} {'SQL':>4s} {'CPU ms':>7s} {'wall ms':>8s}")
    measured = count_queries(facts, spec)
    for label, (queries, cpu_ms, wall_ms, _) in measured.items():
        print(f"  {label:38s} {len(queries):4d} {cpu_ms:7.2f} {wall_ms:8.2f}")
        if args.show_sql:
            for sql in queries:
                print(f"      {sql[:150]}")
    print("\nWhere one request's wall time goes, in-process (median ms per part; the rest is the")
    print("wall time minus the parts above it):")
    for label, (_, _, wall_ms, breakdown) in measured.items():
        print(f"  {label} ({wall_ms:.2f} ms)")
        for name, ms in breakdown.items():
            print(f"      {name:62s} {ms:6.2f}")

    from django.db import connections

    connections.close_all()
    port = free_port()
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"}
    gunicorn = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "config.wsgi",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_ready(port, gunicorn)
        results = {label: [] for label in spec}
        errors = dict.fromkeys(spec, 0)
        # warm-up: every side once, not counted
        for pool, path, headers, body in spec.values():
            drive(port, path, headers, body, facts["ids"][pool], 0.5, args.clients)
        for _ in range(args.rounds):
            order = list(spec.items())
            random.shuffle(order)
            for label, (pool, path, headers, body) in order:
                ok, bad, elapsed = drive(
                    port, path, headers, body, facts["ids"][pool], args.seconds, args.clients
                )
                results[label].append(ok / elapsed)
                errors[label] += bad
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
        try:
            from config.celery import app

            app.control.purge()
        except Exception as error:  # noqa: BLE001 - a benchmark's clean-up
            print(f"(could not purge the broker queue: {error})")

    floor = statistics.median(results[next(iter(spec))])
    print(
        f"\ngunicorn {args.workers} sync workers, {args.clients} client threads, "
        f"{args.rounds} interleaved rounds of {args.seconds:g} s per side (median of rounds):"
    )
    print(f"  {'side':38s} {'req/s':>8s}  {'of floor':>8s}  errors")
    for label, samples in results.items():
        rate = statistics.median(samples)
        print(f"  {label:38s} {rate:8.0f}  {rate / floor:8.0%}  {errors[label]}")


if __name__ == "__main__":
    main()
