"""The vendors' official npm clients against the simulators (opt-in: needs Node and `npm install`).

cd simulators/clients_check && npm install   # then this test runs instead of skipping
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parents[2] / "simulators" / "clients_check"


@pytest.mark.skipif(
    shutil.which("node") is None or not (CHECK / "node_modules").is_dir(),
    reason="needs node and `npm install` in simulators/clients_check",
)
def test_official_clients_work_unmodified(sim):
    result = subprocess.run(
        ["node", "check.mjs", sim.control_url],
        cwd=CHECK,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
