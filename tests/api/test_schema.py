"""Schemathesis against /api/v1/schema/: generated requests for every operation, as an admin
and as a staff member, never get a 5xx and every answer matches the schema."""

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings

from accounts.models import ApiToken, hash_token
from config.wsgi import application
from tests.factories import TaskFactory

MAX_EXAMPLES = 6


@pytest.fixture
def api_schema(db, settings):
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]  # schemathesis' WSGI host
    # Like Django's test client: calling the WSGI app directly must not close the connection
    # that holds the test's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield schemathesis.from_wsgi("/api/v1/schema/", application)
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


schema = schemathesis.from_pytest_fixture("api_schema")


def _token(user) -> str:
    """A token with an id the generator will not guess (it may call DELETE me/tokens/{id}/)."""
    raw = f"inbox_schemathesis_{user.username}"
    ApiToken.objects.create(id=987_654_321 + user.pk, user=user, digest=hash_token(raw), prefix="x")
    return raw


@pytest.fixture
def admin_headers(admin, group):
    TaskFactory(group=group)
    return {"Authorization": f"Bearer {_token(admin)}"}


@pytest.fixture
def member_headers(member, group):
    TaskFactory(group=group)
    return {"Authorization": f"Bearer {_token(member)}"}


HYPOTHESIS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


@schema.parametrize()
@HYPOTHESIS
def test_api_conforms_to_its_schema_as_an_admin(case, admin_headers):
    case.headers = {**(case.headers or {}), **admin_headers}
    response = case.call_wsgi()
    case.validate_response(response)


@schema.parametrize()
@HYPOTHESIS
def test_api_conforms_to_its_schema_as_staff(case, member_headers):
    case.headers = {**(case.headers or {}), **member_headers}
    response = case.call_wsgi()
    case.validate_response(response)


# --- hostile input: never a 5xx ----------------------------------------------------------------

HOSTILE_VALUES = ["²", "①", "٣", "a\x00b", "1e309", "9" * 30, "\n"]
hostile_schema = schemathesis.from_pytest_fixture(
    "api_schema",
    data_generation_methods=[
        schemathesis.DataGenerationMethod.positive,
        schemathesis.DataGenerationMethod.negative,
    ],
    generation_config=schemathesis.GenerationConfig(allow_x00=True, codec="utf-8"),
)


def _with_hostile(case, value):
    """The case with ``value`` in every query parameter, path parameter and top-level body
    field its operation declares."""
    query = {**(case.query or {})}
    for param in case.operation.query:
        query[param.name] = value
    case.query = query or case.query
    if case.path_parameters:
        case.path_parameters = {name: value for name in case.path_parameters}
    if isinstance(case.body, dict):
        case.body = {key: value for key in case.body}
    return case


@hostile_schema.parametrize()
@HYPOTHESIS
def test_api_never_answers_5xx_to_generated_or_hostile_input(case, admin_headers):
    """Schemathesis' positive and negative data (NUL allowed), then the same operation with
    Unicode digits, NUL, a non-finite number, a huge number and a newline in every parameter."""
    case.headers = {**(case.headers or {}), **admin_headers}
    response = case.call_wsgi()
    assert response.status_code < 500, (case.path, case.query, case.body, response.data[:300])
    for value in HOSTILE_VALUES:
        response = _with_hostile(case, value).call_wsgi()
        assert response.status_code < 500, (value, case.path, response.data[:300])
        assert response.headers["Content-Type"].startswith("application/json"), value
