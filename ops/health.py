"""Health checks for load balancers and orchestrators. Unauthenticated, cheap, no templates.

``/healthz``: the process answers (no I/O at all). ``/readyz``: the database answers, every
migration is applied (checked once per process, then remembered), the Celery broker accepts a
connection and the cache round-trips a value; 503 naming the failed checks otherwise.
"""

import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

log = logging.getLogger(__name__)
BROKER_TIMEOUT = 2.0
_migrations_applied = False


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_migrations() -> None:
    global _migrations_applied
    if _migrations_applied:
        return
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrations_applied = True


def check_broker() -> None:
    from kombu import Connection

    with Connection(settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT)


def check_cache() -> None:
    key = "ops:readyz"
    value = str(time.time())
    cache.set(key, value, 30)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return what was stored")


CHECKS = {
    "database": check_database,
    "migrations": check_migrations,
    "broker": check_broker,
    "cache": check_cache,
}


@never_cache
@require_GET
def readyz(request):
    results = {}
    ok = True
    for name, check in CHECKS.items():
        if name == "migrations" and results.get("database") != "ok":
            results[name] = "skipped"
            continue
        try:
            check()
            results[name] = "ok"
        except Exception as error:  # every failure is a "not ready", never a 500
            ok = False
            results[name] = f"failed: {type(error).__name__}"
            log.warning("readiness check %s failed: %s", name, error)
    connection = connections[DEFAULT_DB_ALIAS]
    if not ok and not connection.in_atomic_block:
        # Drop a broken database connection so the next probe starts afresh.
        connection.close_if_unusable_or_obsolete()
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503
    )
