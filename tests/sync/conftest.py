"""Sync tests run against the engine simulators over real HTTP."""

import httpx
import pytest
from django.contrib.auth.models import Group

from inbox.models import Source
from simulators.server import SimulatorHandle
from simulators.testing import simulators, simulators_session  # noqa: F401  (fixtures)
from tests.factories import GroupFactory, UserFactory

STRATEGY_SECRET = "sim-secret"


def source_settings(sims: SimulatorHandle, kind: str) -> dict:
    """Source columns for the simulator of ``kind`` (the simulators' default identities)."""
    token = {"token": "sim-token"}
    if kind == "uipath":
        watch = {
            "org": "acme",
            "tenant": "prod",
            "folder_key": "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13",
            "folder_id": 1001,
        }
    elif kind == "docusign":
        watch = {"account_id": "acc-1", "workflow_ids": ["wf-1"]}
    elif kind == "cloudflare":
        watch = {"account_id": "acc-1", "workflows": ["approvals"]}
    elif kind == "strategy":
        ids = httpx.get(f"{sims.control_url}/_control/strategy/instances").json()["ids"]
        watch = {"instance_sids": ids}
        token = {**token, "secret": STRATEGY_SECRET}
    elif kind == "littlehorse":
        watch = {"tenant": "default"}
    else:
        raise AssertionError(kind)
    base = sims.urls[kind] + ("/client/v4" if kind == "cloudflare" else "")
    return {"kind": kind, "base_url": base, "watch": watch, "credentials": token}


@pytest.fixture(autouse=True)
def quick_retries(settings):
    """Requests retried inside a poll wait milliseconds, not seconds, in tests."""
    settings.SYNC_HTTP_RETRY_BASE_MS = 10
    settings.SYNC_HTTP_RETRY_AFTER_CAP = 2


@pytest.fixture
def make_source(simulators):  # noqa: F811
    def make(kind: str, name: str | None = None, **overrides) -> Source:
        values = {**source_settings(simulators, kind), "poll_interval": 5, **overrides}
        return Source.objects.create(name=name or kind, **values)

    return make


@pytest.fixture
def staff(db):
    """Local users and groups named like the engines' people (matched by email/username)."""
    groups = {name: GroupFactory(name=name) for name in ("finance", "support", "legal")}
    users = {
        "alice": UserFactory(username="alice", groups=[groups["finance"], groups["support"]]),
        "bob": UserFactory(username="bob", groups=[groups["support"]]),
        "carol": UserFactory(username="carol", groups=[groups["legal"]]),
    }
    return {"groups": groups, "users": users, "group": Group}
