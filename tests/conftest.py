"""Shared fixtures: the three standing people (assignee, group member, outsider) and an admin."""

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests.factories import GroupFactory, TaskFactory, UserFactory

# The properties assert what they generate, not how fast: on a loaded CI machine input generation
# and examples can be slow, which is no defect of the product.
hypothesis_settings.register_profile(
    "inbox", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.load_profile("inbox")


@pytest.fixture(autouse=True)
def uncollected_static_files(settings):
    """Production serves collected, hashed files; tests have not run collectstatic."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """PBKDF2 at full strength costs ~0.5 s per user; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def group(db) -> Group:
    return GroupFactory(name="finance")


@pytest.fixture
def other_group(db) -> Group:
    return GroupFactory(name="legal")


@pytest.fixture
def assignee(group):
    return UserFactory(username="alice", groups=[group])


@pytest.fixture
def member(group):
    return UserFactory(username="bob", groups=[group])


@pytest.fixture
def outsider(other_group):
    return UserFactory(username="mallory", groups=[other_group])


@pytest.fixture
def admin(db):
    user = UserFactory(username="root")
    user.user_permissions.add(
        Permission.objects.get(codename="administer_tasks", content_type__app_label="inbox")
    )
    return user


@pytest.fixture
def task(group):
    return TaskFactory(group=group)


@pytest.fixture
def broker():
    """The suite's Redis broker (CELERY_BROKER_URL), emptied of messages left by other tests."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith("redis://"):
        pytest.fail("the end-to-end test needs CELERY_BROKER_URL=redis://... (make test sets it)")
    redis.Redis.from_url(url).flushdb()
    return url
