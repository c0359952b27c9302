"""The role matrix: every endpoint x (anonymous, outsider, group member, assignee, admin).

The task is finance's and, where the row says so, held by the assignee. The outsider (legal)
never learns the task exists: 404, never 403.
"""

import pytest

from inbox import lifecycle
from inbox.models import Case, Source
from tests.api.conftest import ROLES
from tests.factories import SourceFactory, TaskFactory

GOOD = {"results": {"approved": True, "amount": 12.5}}

# (name, method, path, body, task state, expected status per role in ROLES order)
MATRIX = [
    ("list", "get", "/api/v1/tasks/", None, "open", (401, 200, 200, 200, 200)),
    ("claimable", "get", "/api/v1/tasks/claimable/", None, "open", (401, 200, 200, 200, 200)),
    ("detail", "get", "/api/v1/tasks/{id}/", None, "open", (401, 404, 200, 200, 200)),
    ("claim", "post", "/api/v1/tasks/{id}/claim/", None, "open", (401, 404, 200, 200, 200)),
    ("release", "post", "/api/v1/tasks/{id}/release/", None, "held", (401, 404, 403, 200, 403)),
    ("complete", "post", "/api/v1/tasks/{id}/complete/", GOOD, "held", (401, 404, 403, 200, 403)),
    ("cancel", "post", "/api/v1/tasks/{id}/cancel/", {}, "held", (401, 404, 403, 200, 200)),
    ("comments", "get", "/api/v1/tasks/{id}/comments/", None, "open", (401, 404, 200, 200, 200)),
    (
        "comment",
        "post",
        "/api/v1/tasks/{id}/comments/",
        {"text": "hi"},
        "open",
        (401, 404, 201, 201, 201),
    ),
    (
        "edit-comment",
        "patch",
        "/api/v1/tasks/{id}/comments/{comment}/",
        {"text": "edited"},
        "open",
        (401, 404, 403, 200, 403),
    ),
    (
        "delete-comment",
        "delete",
        "/api/v1/tasks/{id}/comments/{comment}/",
        None,
        "open",
        (401, 404, 403, 204, 403),
    ),
    (
        "create",
        "post",
        "/api/v1/tasks/",
        {"title": "New", "type": "t", "group": "finance"},
        "open",
        (401, 403, 403, 403, 201),
    ),
    ("me", "get", "/api/v1/me/", None, "open", (401, 200, 200, 200, 200)),
    ("groups", "get", "/api/v1/groups/", None, "open", (401, 200, 200, 200, 200)),
    ("tokens", "get", "/api/v1/me/tokens/", None, "open", (401, 200, 200, 200, 200)),
    ("admin-list", "get", "/api/v1/admin/tasks/", None, "open", (401, 403, 403, 403, 200)),
    ("admin-detail", "get", "/api/v1/admin/tasks/{id}/", None, "open", (401, 403, 403, 403, 200)),
    (
        "admin-assign",
        "post",
        "/api/v1/admin/tasks/{id}/assign/",
        {"user": "bob"},
        "open",
        (401, 403, 403, 403, 200),
    ),
    (
        "admin-complete",
        "post",
        "/api/v1/admin/tasks/{id}/complete/",
        GOOD,
        "held",
        (401, 403, 403, 403, 200),
    ),
    (
        "admin-cancel",
        "post",
        "/api/v1/admin/tasks/{id}/cancel/",
        {},
        "held",
        (401, 403, 403, 403, 200),
    ),
    ("admin-users", "get", "/api/v1/admin/users/", None, "open", (401, 403, 403, 403, 200)),
    ("admin-groups", "get", "/api/v1/admin/groups/", None, "open", (401, 403, 403, 403, 200)),
    ("admin-types", "get", "/api/v1/admin/task-types/", None, "open", (401, 403, 403, 403, 200)),
    ("admin-sources", "get", "/api/v1/admin/sources/", None, "open", (401, 403, 403, 403, 200)),
    ("cases", "get", "/api/v1/cases/", None, "open", (401, 200, 200, 200, 200)),
    ("case", "get", "/api/v1/cases/{case}/", None, "open", (401, 404, 200, 200, 200)),
    ("case-tasks", "get", "/api/v1/cases/{case}/tasks/", None, "open", (401, 404, 200, 200, 200)),
    ("case-pause", "post", "/api/v1/cases/{case}/pause/", {}, "open", (401, 403, 403, 403, 202)),
    ("case-close", "post", "/api/v1/cases/{case}/close/", {}, "open", (401, 403, 403, 403, 202)),
]


@pytest.fixture
def world(group, people):
    """A finance task in a strategy-engine case (an engine that supports every task and case
    action, so the matrix tests roles only), with a comment by the assignee."""
    source = SourceFactory(name="strategy-test", kind=Source.Kind.STRATEGY)
    case = Case.objects.create(source=source, external_id="case-1", name="Onboarding")
    task = TaskFactory(group=group, source=source, case=case)
    comment = lifecycle.comment_add(task_id=task.id, user=people["assignee"], text="first")
    return task, case, comment


@pytest.mark.parametrize(
    "name,method,path,body,state,expected", MATRIX, ids=[row[0] for row in MATRIX]
)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(clients, people, world, name, method, path, body, state, expected, role):
    task, case, comment = world
    if state == "held":
        lifecycle.task_claim(task_id=task.id, user=people["assignee"])
    url = path.format(id=task.id, case=case.pk, comment=comment.pk)
    response = getattr(clients[role], method)(url, body, format="json")
    wanted = expected[ROLES.index(role)]
    assert response.status_code == wanted, (role, name, response.content[:300])
    if wanted >= 400:
        assert (
            response.json()["code"]
            == {
                401: "unauthenticated",
                403: "forbidden",
                404: "not_found",
            }[wanted]
        )


@pytest.mark.parametrize("role", ["outsider", "member"])
def test_other_groups_tasks_are_absent_from_lists(clients, world, other_group, role):
    task, _, _ = world
    hidden = TaskFactory(group=other_group, title="Legal only")
    seen = {t["id"] for t in clients["member"].get("/api/v1/tasks/").json()["results"]}
    assert str(task.id) in seen
    assert str(hidden.id) not in seen
    outsider_seen = {t["id"] for t in clients["outsider"].get("/api/v1/tasks/").json()["results"]}
    assert str(task.id) not in outsider_seen
    assert str(hidden.id) in outsider_seen


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/tasks/{id}/",
        "/api/v1/tasks/{id}/claim/",
        "/api/v1/tasks/{id}/release/",
        "/api/v1/tasks/{id}/complete/",
        "/api/v1/tasks/{id}/cancel/",
        "/api/v1/tasks/{id}/comments/",
    ],
)
def test_guessing_another_groups_task_id_reveals_nothing(clients, task, path):
    """An existing invisible task answers exactly like a random id."""
    import uuid

    method = "get" if path.endswith(("/{id}/", "comments/")) else "post"
    real = getattr(clients["outsider"], method)(path.format(id=task.id), {}, format="json")
    fake = getattr(clients["outsider"], method)(path.format(id=uuid.uuid4()), {}, format="json")
    assert real.status_code == fake.status_code == 404
    assert real.json() == fake.json()
