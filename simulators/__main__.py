"""`python -m simulators`: serve the control API and the five engines until interrupted."""

from __future__ import annotations

import argparse
import sys
import threading
import time

from .faults import ENGINES
from .server import DEFAULT_TOKEN, start


def _ticker(handle, every: float, stop: threading.Event) -> None:
    while not stop.wait(every):
        handle.tick()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m simulators", description=__doc__)
    parser.add_argument("--port", type=int, default=8100, help="control port; engines use +1..+5")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--scale", type=int, default=None, help="instances/tasks per engine")
    parser.add_argument(
        "--token", default=DEFAULT_TOKEN, help="the Bearer token every engine accepts"
    )
    parser.add_argument("--anchor", default=None, help="ISO date seeded data ends at, or 'today'")
    parser.add_argument(
        "--tick", type=float, default=0, help="every N seconds let time pass (0 = never)"
    )
    args = parser.parse_args(argv)
    began = time.monotonic()
    handle = start(
        args.port,
        host=args.host,
        seed=args.seed,
        scale=args.scale,
        token=args.token,
        anchor=args.anchor,
    )
    print(f"control {handle.control_url}/_control/health", flush=True)
    for name in ENGINES:
        print(f"{name} {handle.urls[name]}", flush=True)
    print(
        f"ready in {time.monotonic() - began:.1f}s (seed {args.seed}, scale {args.scale})",
        flush=True,
    )
    stop = threading.Event()
    if args.tick > 0:
        threading.Thread(target=_ticker, args=(handle, args.tick, stop), daemon=True).start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
