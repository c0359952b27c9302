"""`make test` on a fresh machine: its PostgreSQL check passes against a server that has only its
default databases (the database named in DATABASE_URL does not exist yet; pytest-django creates
``test_<name>`` itself), and fails with what to do when the server cannot be reached."""

import os
import subprocess
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgres://postgres@127.0.0.1:5432"


def _make_check(tmp_path, database_url: str) -> subprocess.CompletedProcess:
    stamp = tmp_path / "installed-stamp"  # newer than pyproject.toml: `make install` is a no-op
    stamp.touch()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MAKEFLAGS")}
    return subprocess.run(
        ["make", "--no-print-directory", "check-postgres", f"STAMP={stamp}",
         f"DATABASE_URL={database_url}"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _databases() -> set[str]:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as conn:
        return {row[0] for row in conn.execute("SELECT datname FROM pg_database")}


def test_the_check_passes_when_the_named_database_does_not_exist(tmp_path):
    name = f"inbox_fresh_{uuid.uuid4().hex[:10]}"
    assert name not in _databases()
    result = _make_check(tmp_path, f"{SERVER}/{name}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert name not in _databases(), "the check only looks; it creates nothing"


def test_the_check_says_what_to_do_when_the_server_is_unreachable(tmp_path):
    result = _make_check(tmp_path, "postgres://postgres@127.0.0.1:1/inbox")
    assert result.returncode != 0
    assert "PostgreSQL is not reachable at postgres://postgres@127.0.0.1:1/inbox" in result.stdout
    assert "DATABASE_URL" in result.stdout
