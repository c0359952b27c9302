"""Test helpers: run the simulators in-process on free ports.

    from simulators.testing import running_simulators

    with running_simulators(seed=7) as sims:
        httpx.get(sims.urls["uipath"] + "/acme/prod/pims_/api/v1/instances", headers=...)

Or as a pytest plugin (`pytest_plugins = ["simulators.testing"]`), which provides the
session-scoped `simulators_session` fixture and the function-scoped `simulators` fixture
(same server, reset to seed 0 with faults and write-backs cleared before each test).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from .server import DEFAULT_TOKEN, SimulatorHandle, start

__all__ = ["running_simulators", "SimulatorHandle"]


@contextmanager
def running_simulators(
    *,
    seed: int = 0,
    scale: int | None = None,
    token: str = DEFAULT_TOKEN,
    anchor: str | None = None,
) -> Iterator[SimulatorHandle]:
    """Start all engines on free 127.0.0.1 ports; stop them on exit."""
    handle = start(0, seed=seed, scale=scale, token=token, anchor=anchor)
    try:
        yield handle
    finally:
        handle.stop()


try:
    import pytest
except ImportError:  # pragma: no cover - pytest is only needed for the fixtures
    pytest = None

if pytest is not None:

    @pytest.fixture(scope="session")
    def simulators_session() -> Iterator[SimulatorHandle]:
        with running_simulators() as handle:
            yield handle

    @pytest.fixture
    def simulators(simulators_session: SimulatorHandle) -> SimulatorHandle:
        simulators_session.reset(seed=0)
        return simulators_session
