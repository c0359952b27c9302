"""Visibility, filters and keyset pagination."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import User
from inbox import lifecycle
from inbox.errors import ValidationError
from inbox.queries import TaskFilters, can_see_task, task_page, visible_tasks
from tests.factories import TaskFactory


def walk(user, *, scope="visible", filters=None, limit=7, between_pages=None):
    seen, bookmark = [], None
    while True:
        page = task_page(user, scope=scope, filters=filters, limit=limit, bookmark=bookmark)
        seen += [t.id for t in page.tasks]
        if page.bookmark is None:
            return seen
        bookmark = page.bookmark
        if between_pages:
            between_pages()


def fresh(user):
    """The same user as a new request would load it (no cached groups or permissions)."""
    return User.objects.get(pk=user.pk)


def test_outsiders_cannot_see_a_groups_tasks(task, outsider, member):
    assert not can_see_task(outsider, task)
    assert walk(outsider) == []
    assert not visible_tasks(outsider).filter(pk=task.pk).exists()
    assert walk(member) == [task.id]


def test_staff_see_their_own_and_their_groups_tasks_admins_see_all(
    group, other_group, assignee, member, outsider, admin
):
    mine = TaskFactory(group=other_group, user=assignee)  # assigned to alice outside her group
    group_task = TaskFactory(group=group)
    legal_task = TaskFactory(group=other_group)
    unrouted = TaskFactory()
    assert set(walk(fresh(assignee))) == {mine.id, group_task.id}
    assert set(walk(fresh(member))) == {group_task.id}
    assert set(walk(fresh(outsider))) == {mine.id, legal_task.id}
    assert set(walk(fresh(admin))) == {mine.id, group_task.id, legal_task.id, unrouted.id}


def test_scopes_split_mine_claimable_and_history(group, assignee, member):
    open_task, held, done = (TaskFactory(group=group) for _ in range(3))
    for t in (held, done):
        lifecycle.task_claim(task_id=t.id, user=assignee)
    lifecycle.task_complete(task_id=done.id, user=assignee, results={"approved": False})
    alice = fresh(assignee)
    assert walk(alice, scope="mine") == [held.id]
    assert walk(alice, scope="claimable") == [open_task.id]
    assert walk(alice, scope="history") == [done.id]
    # A teammate sees the group's tasks whoever holds them, but only claims open ones.
    assert set(walk(fresh(member))) == {open_task.id, held.id, done.id}
    assert walk(fresh(member), scope="claimable") == [open_task.id]


def test_every_task_appears_exactly_once_while_new_ones_arrive(group, member):
    start = timezone.now() - timedelta(hours=1)
    existing = [
        TaskFactory(group=group, created_at=start + timedelta(seconds=i % 5)).id for i in range(40)
    ]  # many share a created_at: the id breaks ties
    inserted = []

    def insert():
        inserted.append(TaskFactory(group=group).id)

    seen = walk(fresh(member), limit=6, between_pages=insert)
    assert len(seen) == len(set(seen)), "no task twice"
    assert set(existing) <= set(seen), "no task that existed at the start is skipped"
    assert set(seen) <= set(existing) | set(inserted)


@pytest.mark.parametrize("scope", ["visible", "claimable", "all"])
def test_a_page_costs_the_same_queries_at_10_and_200_rows(scope, group, member, admin):
    user = admin if scope == "all" else member
    for _ in range(200):
        TaskFactory(group=group)
    counts = []
    for limit in (10, 200):
        viewer = fresh(user)
        with CaptureQueriesContext(connection) as ctx:
            page = task_page(viewer, scope=scope, limit=limit)
            [(t.group, t.assignee, t.case, t.source) for t in page.tasks]
        assert len(page.tasks) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 5


def test_filters_narrow_the_list(group, other_group, member, admin):
    now = timezone.now()
    a = TaskFactory(
        group=group,
        title="Pay Globex invoice",
        task_type="pay",
        context={"customer": "Globex", "amount": 120},
    )
    b = TaskFactory(
        group=group,
        title="Review NDA",
        task_type="review",
        context={"customer": "Initech"},
        created_at=now - timedelta(days=3),
    )
    c = TaskFactory(group=other_group, title="Pay Initech", task_type="pay")
    lifecycle.task_claim(task_id=b.id, user=member)
    bob, root = fresh(member), fresh(admin)

    def ids(viewer, **params):
        return set(walk(viewer, filters=TaskFilters.from_params(params)))

    assert ids(bob, type="pay") == {a.id}
    assert ids(bob, q="globex") == {a.id}
    assert ids(bob, status="ASSIGNED") == {b.id}
    assert ids(bob, status="UNASSIGNED,ASSIGNED") == {a.id, b.id}
    assert ids(bob, context__customer="Initech") == {b.id}
    assert ids(bob, context__amount="120") == {a.id}
    assert ids(bob, created_before=(now - timedelta(days=1)).isoformat()) == {b.id}
    assert ids(bob, group="legal") == set(), "a group the user is not in shows nothing"
    assert ids(root, type="pay") == {a.id, c.id}
    assert ids(root, group="legal") == {c.id}
    assert ids(root, user="bob") == {b.id}
    assert ids(root, source="local", status="UNASSIGNED") == {a.id, c.id}


def test_bad_filters_and_bookmarks_name_the_parameter(member):
    with pytest.raises(ValidationError) as exc:
        TaskFilters.from_params({"status": "OPEN", "created_after": "yesterday", "case": "x"})
    assert set(exc.value.fields) == {"status", "created_after", "case"}
    with pytest.raises(ValidationError) as exc:
        task_page(member, bookmark="garbage!")
    assert "bookmark" in exc.value.fields


def test_newest_first_walks_the_same_tasks_backwards(group, member):
    start = timezone.now() - timedelta(hours=1)
    created = [
        TaskFactory(group=group, created_at=start + timedelta(seconds=i % 4)).id for i in range(17)
    ]
    bob = fresh(member)
    oldest_first = walk(bob, limit=5)
    seen, bookmark = [], None
    while True:
        page = task_page(bob, limit=5, bookmark=bookmark, newest_first=True)
        seen += [t.id for t in page.tasks]
        if page.bookmark is None:
            break
        bookmark = page.bookmark
    assert sorted(seen) == sorted(created)
    assert seen == list(reversed(oldest_first))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", "2026-03-01T00:00:00+00:00"),
        ("2026-03-01T10:00:00", "2026-03-01T10:00:00+00:00"),
        ("0575-12-03T21:05:57-20:48", "0575-12-04T17:53:57+00:00"),
        ("2026-02-30", None),
        ("0001-01-01T00:00:00+05:00", None),
        ("yesterday", None),
    ],
)
def test_dates_in_filters_are_read_as_utc_or_refused(raw, expected):
    from inbox.queries import parse_when

    parsed = parse_when(raw)
    assert (parsed.isoformat() if parsed else None) == expected
