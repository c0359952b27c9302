"""Start the demo from its seed again: `make run` runs this first, before ``migrate``.

Why: `make run` starts the simulated engines from their seed every time (they keep their state
in memory), so a database kept from the last run disagrees with them (a task cancelled in the
inbox comes back from the engine as open, a case paused here is running there). `make run`
therefore reseeds both: the engines restart from their seed and this command removes the
embedded database and the filesystem broker's queued messages, so ``migrate``, ``seed_demo``
and ``demo_sources`` build the same demo each time.

Only the embedded defaults are ever removed: the SQLite file under ``INBOX_VAR_DIR`` and the
``filesystem://`` broker's folders. With a ``DATABASE_URL`` of its own the command removes
nothing and says so (that database is not the demo's to throw away). Run it by hand only with
no `make run` going.
"""

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections


def embedded_database() -> Path | None:
    """The embedded SQLite file when that is the database in use, else None."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    path = Path(database["NAME"])
    var_dir = Path(settings.VAR_DIR).resolve()
    return path if var_dir in path.resolve().parents else None


class Command(BaseCommand):
    help = "Remove the embedded demo database and queued messages so the demo starts from its seed."

    def handle(self, *args, **options):
        path = embedded_database()
        if path is None:
            self.stdout.write(
                "demo_reset: the database is not the embedded demo database (DATABASE_URL is "
                "set); nothing removed. The simulated engines still restart from their seed."
            )
            return
        connections.close_all()
        removed = []
        for candidate in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
            if candidate.exists():
                candidate.unlink()
                removed.append(candidate.name)
        if settings.CELERY_BROKER_URL == "filesystem://":
            celery_dir = Path(settings.VAR_DIR) / "celery"
            for folder in ("queue", "processed", "control"):
                target = celery_dir / folder
                if target.is_dir():
                    shutil.rmtree(target)
                target.mkdir(parents=True, exist_ok=True)
            removed.append("queued messages")
        schedule = Path(settings.VAR_DIR) / "celerybeat-schedule"
        for leftover in schedule.parent.glob(schedule.name + "*"):
            leftover.unlink()
        self.stdout.write(
            "demo_reset: the demo starts from its seed (removed: "
            + (", ".join(removed) or "nothing, it was fresh")
            + ")"
        )
