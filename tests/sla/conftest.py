"""A Berlin business calendar (Mon-Fri 09:00-17:00, German public holidays) and its policy."""

from datetime import UTC, datetime, timedelta

import pytest

from sla.models import BusinessCalendar, SlaPolicy
from tests.factories import GroupFactory, UserFactory

# Thursday before Easter 2026, 15:00 in Berlin (CEST, UTC+2). Good Friday (3 April) and Easter
# Monday (6 April) are public holidays; 4-5 April a weekend.
THURSDAY_15H = datetime(2026, 4, 2, 13, 0, tzinfo=UTC)


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """April 2026 wall-clock time in Berlin (UTC+2), as UTC."""
    return datetime(2026, 4, day, hour - 2, minute, tzinfo=UTC)


@pytest.fixture
def calendar(db) -> BusinessCalendar:
    return BusinessCalendar.objects.create(
        name="Berlin office",
        time_zone="Europe/Berlin",
        working_days=[0, 1, 2, 3, 4],
        day_start="09:00",
        day_end="17:00",
        country="DE",
        is_default=True,
    )


@pytest.fixture
def policy(calendar, group) -> SlaPolicy:
    return SlaPolicy.objects.create(
        name="Approvals",
        task_type="approval",
        calendar=calendar,
        claim_within=timedelta(hours=4),
        complete_within=timedelta(hours=16),
    )


@pytest.fixture
def leads(db):
    group = GroupFactory(name="team-leads")
    return UserFactory(username="lena", groups=[group]), group
