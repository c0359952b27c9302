"""Fixtures: one in-process simulator for the session, reset before each test, and HTTP clients."""

from __future__ import annotations

import httpx
import pytest

from simulators.server import SimulatorHandle
from simulators.testing import running_simulators

TOKEN = "sim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
FOLDER_KEY = "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13"
FOLDER_ID = "1001"


@pytest.fixture(scope="session")
def sim_session():
    with running_simulators(seed=0) as handle:
        yield handle


@pytest.fixture
def sim(sim_session: SimulatorHandle) -> SimulatorHandle:
    sim_session.reset(seed=0)
    return sim_session


def _client(base_url: str, headers: dict | None = None):
    return httpx.Client(base_url=base_url, headers=headers or {}, timeout=10)


@pytest.fixture
def control(sim):
    with _client(sim.control_url) as client:
        yield client


@pytest.fixture
def uipath(sim):
    with _client(sim.urls["uipath"] + "/acme/prod", AUTH) as client:
        yield client


@pytest.fixture
def docusign(sim):
    with _client(sim.urls["docusign"] + "/v1/accounts/acc-1/workflows/wf-1", AUTH) as client:
        yield client


@pytest.fixture
def cloudflare(sim):
    url = sim.urls["cloudflare"] + "/client/v4/accounts/acc-1/workflows/approvals"
    with _client(url, AUTH) as client:
        yield client


@pytest.fixture
def strategy(sim):
    with _client(sim.urls["strategy"], {**AUTH, "Strategy-Secret": "sim-secret"}) as client:
        yield client


@pytest.fixture
def littlehorse(sim):
    with _client(sim.urls["littlehorse"] + "/default", AUTH) as client:
        yield client


@pytest.fixture
def as_user(sim):
    """A LittleHorse client acting as a seeded user: `as_user("alice")`."""
    clients = []

    def make(username: str) -> httpx.Client:
        client = _client(
            sim.urls["littlehorse"] + "/default", {"Authorization": f"Bearer {TOKEN}:{username}"}
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
