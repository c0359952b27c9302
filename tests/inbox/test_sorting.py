"""Sort orders and their keyset bookmarks: every sort key walks every visible task exactly once,
in the documented order, even while tasks are inserted between pages."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import User
from inbox import lifecycle
from inbox.errors import ValidationError
from inbox.models import UserTask
from inbox.queries import TaskFilters, TaskSort, task_page
from tests.factories import TaskFactory

BASE = datetime(2026, 3, 1, tzinfo=UTC)
PROPERTY = settings(
    max_examples=8,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# A context value: a number, a text, a JSON null, or no such variable at all.
MISSING = object()
context_values = st.one_of(
    st.integers(-3, 3),
    st.sampled_from(["a", "b", "EU"]),
    st.none(),
    st.just(MISSING),
)
task_specs = st.lists(
    st.tuples(
        st.integers(-2, 2),  # priority (many ties)
        st.one_of(st.none(), st.integers(0, 5)),  # due in days, or none
        context_values,
        st.booleans(),  # claimed (changes updated_at)
        st.one_of(st.none(), st.integers(0, 3)),  # follow-up in days, or none
    ),
    min_size=1,
    max_size=14,
)
SORTS = ["created", "due", "follow_up", "priority", "updated", "context__amount"]


def make(group, user, specs, offset=0):
    tasks = []
    for i, (priority, due_days, amount, claim, follow_days) in enumerate(specs):
        task = TaskFactory(
            group=group,
            priority=priority,
            due_at=None if due_days is None else BASE + timedelta(days=due_days),
            context={} if amount is MISSING else {"amount": amount},
            created_at=BASE + timedelta(minutes=offset + i // 2),  # pairs share a time
        )
        if follow_days is not None:  # as sla.policies stores a policy's "claim within" date
            task.follow_up_at = BASE + timedelta(days=follow_days)
            UserTask.objects.filter(pk=task.pk).update(follow_up_at=task.follow_up_at)
        if claim:
            lifecycle.task_claim(task_id=task.id, user=user)
        tasks.append(task)
    return tasks


def json_rank(value):
    """PostgreSQL's jsonb order of the values used here: null < text < numbers."""
    if value is None:
        return (0, 0)
    if isinstance(value, str):
        return (1, value)
    return (2, value)


def expected(tasks, sort: TaskSort):
    """The documented order, computed in Python: missing values last ascending, first
    descending; ties by id."""
    rows = list(UserTask.objects.filter(pk__in=[t.pk for t in tasks]))

    def key(task):
        name = sort.context_name
        if name:
            present = name in task.context
            value = json_rank(task.context.get(name)) if present else None
        else:
            value = getattr(
                task,
                {"created": "created_at", "due": "due_at", "follow_up": "follow_up_at"}.get(
                    sort.key, f"{sort.key}_at" if sort.key == "updated" else sort.key
                ),
            )
            present = value is not None
        return (not present, value if present else 0)

    present = sorted([t for t in rows if not key(t)[0]], key=lambda t: (key(t)[1], t.id))
    absent = sorted([t for t in rows if key(t)[0]], key=lambda t: t.id)
    if sort.descending:
        return [t.id for t in absent[::-1] + present[::-1]]
    return [t.id for t in present + absent]


def walk(user, sort, limit, between=None):
    seen, bookmark = [], None
    for _ in range(200):
        page = task_page(user, scope="visible", sort=sort, limit=limit, bookmark=bookmark)
        seen += [t.id for t in page.tasks]
        if page.bookmark is None:
            return seen
        bookmark = page.bookmark
        if between:
            between()
    raise AssertionError("the walk did not end")


@pytest.mark.django_db
@pytest.mark.parametrize("key", SORTS)
@pytest.mark.parametrize("descending", [False, True])
@PROPERTY
@given(specs=task_specs, limit=st.integers(1, 5))
def test_every_sort_walks_in_order_and_exactly_once(group, assignee, key, descending, specs, limit):
    UserTask.objects.all().delete()
    make(group, assignee, specs)
    viewer = User.objects.get(pk=assignee.pk)
    sort = TaskSort(key, descending)
    tasks = list(UserTask.objects.all())
    assert walk(viewer, sort, limit) == expected(tasks, sort)


@pytest.mark.django_db
@pytest.mark.parametrize("key", SORTS)
@PROPERTY
@given(specs=task_specs, more=task_specs, limit=st.integers(1, 4))
def test_inserts_between_pages_never_repeat_or_lose_a_task(
    group, assignee, key, specs, more, limit
):
    UserTask.objects.all().delete()
    before = make(group, assignee, specs)
    viewer = User.objects.get(pk=assignee.pk)
    pending = list(more)

    def insert_one():
        if pending:
            make(group, assignee, [pending.pop()], offset=100)

    seen = walk(viewer, TaskSort(key), limit, between=insert_one)
    assert len(seen) == len(set(seen)), "a task came twice"
    assert {t.id for t in before} <= set(seen), "a task that was there all along was skipped"
    order = expected(before, TaskSort(key))
    assert [i for i in seen if i in set(order)] == order


def test_an_unknown_sort_key_names_sort():
    with pytest.raises(ValidationError) as caught:
        TaskSort.parse("-colour")
    assert "sort" in caught.value.fields
    with pytest.raises(ValidationError) as caught:
        TaskSort.parse("context__no spaces")
    assert "sort" in caught.value.fields


def test_a_bookmark_of_another_sort_is_refused(group, member):
    for i in range(3):
        TaskFactory(group=group, priority=i)
    page = task_page(member, sort=TaskSort("priority"), limit=1)
    with pytest.raises(ValidationError) as caught:
        task_page(member, sort=TaskSort("due"), limit=1, bookmark=page.bookmark)
    assert "bookmark" in caught.value.fields


def test_sort_and_filters_combine(group, member):
    eu = [TaskFactory(group=group, priority=p, context={"region": "EU"}) for p in (1, 3, 2)]
    TaskFactory(group=group, priority=9, context={"region": "US"})
    page = task_page(
        member,
        filters=TaskFilters.from_params({"context__region": "EU"}),
        sort=TaskSort("priority", descending=True),
    )
    assert [t.priority for t in page.tasks] == [3, 2, 1]
    assert {t.id for t in page.tasks} == {t.id for t in eu}
