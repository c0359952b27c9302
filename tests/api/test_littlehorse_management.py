"""LittleHorse bridge compatibility, user and group management (UserManagementController and
GroupManagementController of the bridge) on the inbox's own users and groups."""

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry

from accounts.models import User
from inbox import lifecycle
from tests.api.littlehorse_support import BASE, assert_empty, assert_problem
from tests.factories import TaskFactory

USERS = f"{BASE}/management/users"
GROUPS = f"{BASE}/management/groups"


def audit(obj_id, flag):
    return LogEntry.objects.filter(object_id=str(obj_id), action_flag=flag)


def test_list_and_get_users(clients, people, group):
    body = clients["admin"].get(USERS).json()
    assert len(body["users"]) == 4
    bob = next(u for u in body["users"] if u["username"] == "bob")
    assert bob == {
        "id": str(people["member"].pk),
        "username": "bob",
        "firstName": None,
        "lastName": None,
        "email": "bob@example.com",
        "groups": [{"id": str(group.pk), "name": "finance"}],
        "realmRoles": [],
        "clientRoles": {},
        "enabled": True,
    }
    root = clients["admin"].get(f"{USERS}/{people['admin'].pk}").json()
    assert root["realmRoles"] == ["lh-user-tasks-admin"]
    assert len(clients["admin"].get(USERS, {"max_results": 2}).json()["users"]) == 2
    in_group = clients["admin"].get(USERS, {"user_group_id": str(group.pk)}).json()
    assert sorted(u["username"] for u in in_group["users"]) == ["alice", "bob"]
    both = clients["admin"].get(USERS, {"user_group_id": str(group.pk), "username": "a"})
    assert_problem(both, 400)
    assert_problem(clients["admin"].get(f"{USERS}/999999"), 404)
    assert_problem(clients["admin"].get(f"{USERS}/²"), 404)


def test_create_update_and_password_are_recorded(clients, admin):
    new = {"username": "dave", "email": "dave@example.com", "firstName": "Dave", "lastName": "D"}
    assert_empty(clients["admin"].post(USERS, new, format="json"), 201)
    dave = User.objects.get(username="dave")
    created = audit(dave.pk, ADDITION).get()
    assert created.user == admin
    assert created.get_change_message() == "created (LittleHorse bridge management API)"
    assert_problem(
        clients["admin"].post(USERS, {**new, "email": "x@example.com"}, format="json"), 409
    )
    assert_problem(clients["admin"].post(USERS, {}, format="json"), 400)
    assert_problem(
        clients["admin"].post(USERS, {"email": "not-mail", "username": "e"}, format="json"), 400
    )
    url = f"{USERS}/{dave.pk}"
    assert_empty(
        clients["admin"].put(url, {"email": "d2@example.com", "firstName": "David"}, format="json"),
        204,
    )
    dave.refresh_from_db()
    assert (dave.email, dave.first_name, dave.is_active) == ("d2@example.com", "David", True)
    assert_problem(clients["admin"].put(url, {"username": "other"}, format="json"), 400)
    assert_empty(clients["admin"].put(url, {"enabled": False}, format="json"), 204)
    dave.refresh_from_db()
    assert dave.is_active is False
    # management lists disabled users (to enable them again); the admin user list does not
    listed = clients["admin"].get(USERS, {"username": "dave"}).json()["users"]
    assert [u["enabled"] for u in listed] == [False]
    assert clients["admin"].get(f"{BASE}/admin/users", {"username": "dave"}).json() == {"users": []}
    weak = clients["admin"].put(f"{url}/password", {"password": "123"}, format="json")
    assert "password" in assert_problem(weak, 400)["fields"]
    assert_problem(clients["admin"].put(f"{url}/password", {"password": " "}, format="json"), 400)
    strong = {"password": "Correct-horse-battery-9", "temporary": False}
    assert_empty(clients["admin"].put(f"{url}/password", strong, format="json"), 204)
    dave.refresh_from_db()
    assert dave.check_password("Correct-horse-battery-9")
    assert_problem(clients["admin"].put(f"{USERS}/999999/password", strong, format="json"), 404)
    assert audit(dave.pk, CHANGE).count() == 3


def test_admin_role_and_group_membership(clients, admin, member, other_group):
    url = f"{USERS}/{member.pk}"
    assert_empty(clients["admin"].post(f"{url}/roles/admin"), 204)
    assert User.objects.get(pk=member.pk).is_inbox_admin
    assert_empty(clients["admin"].delete(f"{url}/roles/admin"), 204)
    assert not User.objects.get(pk=member.pk).is_inbox_admin
    assert_problem(clients["admin"].delete(f"{USERS}/{admin.pk}/roles/admin"), 409)
    assert_empty(clients["admin"].post(f"{url}/groups/{other_group.pk}"), 204)
    assert other_group.user_set.filter(pk=member.pk).exists()
    assert_empty(clients["admin"].delete(f"{url}/groups/{other_group.pk}"), 204)
    assert not other_group.user_set.filter(pk=member.pk).exists()
    assert_problem(clients["admin"].post(f"{url}/groups/999999"), 404)
    assert_problem(clients["admin"].post(f"{USERS}/999999/groups/{other_group.pk}"), 404)
    assert audit(member.pk, CHANGE).count() == 4


def test_delete_user_rules(clients, admin, assignee, task, db):
    assert_problem(clients["admin"].delete(f"{USERS}/{admin.pk}"), 409)
    assert_problem(clients["admin"].delete(f"{USERS}/999999"), 400)
    lifecycle.task_claim(task_id=task.id, user=assignee)
    assert_problem(clients["admin"].delete(f"{USERS}/{assignee.pk}"), 409)
    # with history: deactivated, its groups and admin role gone, the history kept
    gone = clients["admin"].delete(f"{USERS}/{assignee.pk}?ignore_orphan_tasks=true")
    assert_empty(gone, 204)
    assignee.refresh_from_db()
    assert assignee.is_active is False and not assignee.groups.exists()
    plain = User.objects.create_user("temp")
    assert_empty(clients["admin"].delete(f"{USERS}/{plain.pk}"), 204)
    assert not User.objects.filter(pk=plain.pk).exists()
    assert audit(plain.pk, DELETION).exists() and audit(assignee.pk, DELETION).exists()
    assert_problem(clients["admin"].delete(f"{USERS}/{plain.pk}?ignore_orphan_tasks=x"), 400)


def test_groups_create_list_rename_delete(clients, admin, group):
    assert_empty(clients["admin"].post(GROUPS, {"name": "ops"}, format="json"), 201)
    assert_problem(clients["admin"].post(GROUPS, {"name": "OPS"}, format="json"), 409)
    assert_problem(clients["admin"].post(GROUPS, {"name": " "}, format="json"), 400)
    assert_problem(clients["admin"].post(GROUPS, ["ops"], format="json"), 400)
    found = clients["admin"].get(GROUPS, {"name": "op"}).json()["groups"]
    assert [g["name"] for g in found] == ["ops"]
    ops_id = found[0]["id"]
    assert audit(ops_id, ADDITION).get().user == admin
    assert len(clients["admin"].get(GROUPS, {"max_results": 1}).json()["groups"]) == 1
    url = f"{GROUPS}/{ops_id}"
    assert_empty(clients["admin"].put(url, {"name": "operations"}, format="json"), 204)
    assert_problem(clients["admin"].put(url, {"name": "finance"}, format="json"), 409)
    TaskFactory(group=group)  # an unclaimed task in finance
    finance = f"{GROUPS}/{group.pk}"
    assert_problem(clients["admin"].put(finance, {"name": "fin"}, format="json"), 409)
    renamed = clients["admin"].put(
        f"{finance}?ignore_orphan_tasks=true", {"name": "fin"}, format="json"
    )
    assert_empty(renamed, 204)
    group.refresh_from_db()
    assert group.name == "fin"
    assert_problem(clients["admin"].delete(finance), 409)
    assert_problem(clients["admin"].delete(f"{finance}?ignore_orphan_tasks=true"), 409)
    assert_empty(clients["admin"].delete(url), 204)
    assert audit(ops_id, DELETION).exists()
    assert_problem(clients["admin"].delete(url), 404)
