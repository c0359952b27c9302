"""Scale and start-up: 100,000 records per engine build; `python -m simulators` serves."""

from __future__ import annotations

import gc
import json
import os
import random
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from simulators import data
from simulators.server import engine_classes

ROOT = Path(__file__).resolve().parents[2]


def test_it_generates_100000_records_per_engine():
    anchor = data.parse_anchor(None)
    with data.bulk():
        for name, cls in engine_classes().items():
            engine = cls(seed=1, scale=100_000, token="t", anchor=anchor)
            assert len(engine.ctl_ids()) == 100_000, name
            del engine
            gc.collect()


def _free_port_block(size: int = 6) -> int:
    for _ in range(50):
        base = random.randrange(20000, 60000)
        socks = []
        try:
            for offset in range(size):
                s = socket.socket()
                s.bind(("127.0.0.1", base + offset))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port block")


def test_python_m_simulators_prints_one_line_per_engine_and_serves():
    port = _free_port_block()
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators", "--port", str(port), "--seed", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        lines = [proc.stdout.readline().split() for _ in range(6)]
        assert [ln[0] for ln in lines] == [
            "control",
            "uipath",
            "docusign",
            "cloudflare",
            "strategy",
            "littlehorse",
        ]
        assert lines[1][1] == f"http://127.0.0.1:{port + 1}"
        assert lines[5][1] == f"http://127.0.0.1:{port + 5}"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_control/health") as resp:
            assert json.load(resp)["seed"] == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
