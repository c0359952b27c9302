"""Fault injection rules: which requests misbehave, how, and for how long."""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass

from .core import ApiError

# "applied-*": the engine carries the request out, then the answer is lost on the way back
# (the client times out, the connection drops, the body is cut short, or a proxy answers 502).
LOST_ANSWER_KINDS = ("applied-timeout", "applied-drop", "applied-truncated", "applied-502")
KINDS = ("status", "429", "slow", "malformed", "truncated", "drop", *LOST_ANSWER_KINDS)
ENGINES = ("uipath", "docusign", "cloudflare", "strategy", "littlehorse")


@dataclass
class Fault:
    id: int
    engine: str  # an engine name or "*"
    kind: str
    path_prefix: str = ""
    method: str | None = None
    status: int = 500
    retry_after: int = 1
    delay: float = 1.0
    count: int | None = None  # fire this many times, then stop
    rate: float | None = None  # fire with this probability (seeded RNG)
    fired: int = 0

    @property
    def remaining(self) -> int | None:
        return None if self.count is None else max(self.count - self.fired, 0)

    @property
    def active(self) -> bool:
        return self.remaining != 0

    def to_json(self) -> dict:
        return {**asdict(self), "remaining": self.remaining, "active": self.active}


class FaultRegistry:
    """Faults are off until added; each fires by count or by rate and stops when cleared."""

    def __init__(self, seed: int = 0):
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._next_id = 1
        self._rng = random.Random(f"{seed}:faults")

    def reseed(self, seed: int) -> None:
        with self._lock:
            self._rng = random.Random(f"{seed}:faults")

    def add(self, spec: dict) -> Fault:
        engine = spec.get("engine", "*")
        if engine not in (*ENGINES, "*"):
            raise ApiError(
                400, f"Unknown engine {engine!r}; use one of {', '.join(ENGINES)} or '*'."
            )
        kind = str(spec.get("kind", ""))
        if kind not in KINDS:
            raise ApiError(400, f"Unknown fault kind {kind!r}; use one of {', '.join(KINDS)}.")
        try:
            fault = Fault(
                id=0,
                engine=engine,
                kind=kind,
                path_prefix=str(spec.get("path_prefix") or ""),
                method=(spec.get("method") or None) and str(spec["method"]).upper(),
                status=int(spec.get("status", 429 if kind == "429" else 500)),
                retry_after=int(spec.get("retry_after", 1)),
                delay=float(spec.get("delay", 3.0 if kind == "applied-timeout" else 1.0)),
                count=None if spec.get("count") is None else int(spec["count"]),
                rate=None if spec.get("rate") is None else float(spec["rate"]),
            )
        except (TypeError, ValueError):
            raise ApiError(
                400, "status, retry_after and count are integers; delay and rate are numbers."
            ) from None
        if fault.count is not None and fault.count < 1:
            raise ApiError(400, "count must be at least 1.")
        if fault.rate is not None and not 0.0 <= fault.rate <= 1.0:
            raise ApiError(400, "rate must be between 0 and 1.")
        if kind == "status" and not 400 <= fault.status <= 599:
            raise ApiError(400, "status must be an HTTP error status (400-599).")
        with self._lock:
            fault.id = self._next_id
            self._next_id += 1
            self._faults.append(fault)
        return fault

    def list(self) -> list[dict]:
        with self._lock:
            return [f.to_json() for f in self._faults]

    def clear(self, engine: str | None = None, fault_id: int | None = None) -> int:
        with self._lock:
            before = len(self._faults)
            self._faults = [
                f
                for f in self._faults
                if not (
                    (engine is None or f.engine == engine)
                    and (fault_id is None or f.id == fault_id)
                )
            ]
            return before - len(self._faults)

    def match(self, engine: str, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (counts it as fired)."""
        with self._lock:
            for f in self._faults:
                if not f.active or f.engine not in (engine, "*"):
                    continue
                if not path.startswith(f.path_prefix) or (f.method and f.method != method):
                    continue
                if f.rate is not None and self._rng.random() >= f.rate:
                    continue
                f.fired += 1
                return f
        return None
