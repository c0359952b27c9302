"""A seeded inbox for the operations tests: three weeks of tasks created, claimed, completed,
cancelled and left open, in two groups and two sources, at known (frozen) times."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine

from inbox import lifecycle
from inbox.models import OutboxCommand, Source
from ops.rollup import refresh_open_snapshot, rollup_day
from tests.factories import SourceFactory, TaskFactory

BASE = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


@pytest.fixture
def engine(db):
    return SourceFactory(name="lh-prod", kind=Source.Kind.LITTLEHORSE)


@pytest.fixture
def seeded(group, other_group, assignee, member, outsider, admin, engine):
    """Returns the frozen-time traveller, left at NOW, with rollups and the snapshot built."""
    rng = random.Random(18)
    local = lifecycle.local_source()
    members = {group.pk: [assignee, member], other_group.pk: [outsider]}
    with time_machine.travel(BASE, tick=False) as traveller:
        for day in range(20):
            for k in range(5):
                created = BASE + timedelta(days=day, hours=k * 2, minutes=rng.randrange(60))
                if created >= NOW:
                    continue
                traveller.move_to(created)
                team = rng.choice([group, other_group])
                source = rng.choice([local, engine])
                due = (
                    created + timedelta(hours=rng.choice([1, 6, 30, 200]))
                    if rng.random() < 0.7
                    else None
                )
                task = TaskFactory(
                    # Titles and context for the list filters (search, context variables);
                    # not drawn from rng, so the seed's other figures stay as they were.
                    title=f"{'Invoice' if k % 2 else 'Contract'} {day}-{k}",
                    context={"region": "EU" if (day + k) % 3 else "US", "tier": k % 2},
                    group=team,
                    task_type=rng.choice(["approval", "review", "kyc"]),
                    source=source,
                    external_id=f"ext-{day}-{k}" if source == engine else None,
                    due_at=due,
                )
                fate = rng.random()
                claimed = created + timedelta(minutes=rng.choice([3, 20, 90, 400, 2000]))
                finished = claimed + timedelta(minutes=rng.choice([10, 45, 300, 1500, 5000]))
                person = rng.choice(members[team.pk])
                if fate < 0.75 and claimed < NOW:
                    traveller.move_to(claimed)
                    lifecycle.task_claim(task_id=task.pk, user=person)
                    if finished < NOW and fate < 0.55:
                        traveller.move_to(finished)
                        lifecycle.task_complete(
                            task_id=task.pk, user=person, results={"approved": True}
                        )
                    elif finished < NOW and fate < 0.65:
                        traveller.move_to(finished)
                        lifecycle.task_cancel(task_id=task.pk, user=person, message="not needed")
                elif fate < 0.85 and finished < NOW:
                    traveller.move_to(finished)
                    lifecycle.task_admin_cancel(task_id=task.pk, actor=admin, message="dup")
        traveller.move_to(NOW)
        # Engine health: two write-backs failed for good, the source's last two polls failed.
        failed = list(
            OutboxCommand.objects.filter(source=engine)
            .order_by("id")
            .values_list("id", flat=True)[:2]
        )
        OutboxCommand.objects.filter(pk__in=failed).update(status=OutboxCommand.Status.FAILED)
        Source.objects.filter(pk=engine.pk).update(
            consecutive_failures=2, last_error="HTTP 503", last_error_at=NOW
        )
        for offset in range(25):
            rollup_day(TODAY - timedelta(days=offset))
        refresh_open_snapshot()
        yield traveller
