"""API test helpers: a client per role, authenticated with a real API token."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from accounts.services import api_token_create
from inbox import lifecycle

ROLES = ("anonymous", "outsider", "member", "assignee", "admin")


@pytest.fixture(autouse=True)
def _fresh_throttle_counters():
    cache.clear()
    yield
    cache.clear()


def client_for(user, **headers) -> APIClient:
    client = APIClient()
    if user is not None:
        _, raw = api_token_create(user=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}", **headers)
    return client


@pytest.fixture
def people(assignee, member, outsider, admin):
    return {
        "anonymous": None,
        "outsider": outsider,
        "member": member,
        "assignee": assignee,
        "admin": admin,
    }


@pytest.fixture
def clients(people):
    """One API client per role, each with its own token."""
    return {role: client_for(user) for role, user in people.items()}


@pytest.fixture
def claimed_task(task, assignee):
    """The finance task, held by alice (the assignee)."""
    return lifecycle.task_claim(task_id=task.id, user=assignee)


def assert_error(response, status: int, code: str):
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body
