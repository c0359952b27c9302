"""Run a script on the embedded defaults (`make run`'s SQLite under a fresh var/ directory, no
DATABASE_URL, broker or SECRET_KEY from the suite) in a child process; its stdout lines of
``name value`` come back as a dict."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_embedded(script: str, var_dir: Path, timeout: int = 180) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "SECRET_KEY")
    }
    env.update(DEBUG="true", INBOX_VAR_DIR=str(var_dir), DJANGO_SETTINGS_MODULE="config.settings")
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert out.returncode == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
