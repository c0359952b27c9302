"""The vendors' official npm clients against the simulators. Needs Node; not part of
`make test` — run it with `make check-clients` (which runs `npm install` here first)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from simulators.testing import running_simulators

CHECK = Path(__file__).resolve().parent


def test_official_clients_work_unmodified():
    with running_simulators() as sims:
        result = subprocess.run(
            ["node", "check.mjs", sims.control_url],
            cwd=CHECK,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
