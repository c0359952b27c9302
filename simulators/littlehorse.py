"""LittleHorse user-tasks bridge: per-user and admin routes, claim/assign/complete/cancel, comments."""

from __future__ import annotations

from . import data
from . import littlehorse_model as lm
from .core import JSON, PROBLEM_JSON, ApiError, Engine, Request, Response, encode, route
from .data import iso_ms
from .littlehorse_comments import LittleHorseComments
from .littlehorse_control import LittleHorseControl

T = r"/(?P<tenant>[^/]+)"
TASK = r"/tasks/(?P<wf>[^/]+)/(?P<guid>[^/]+)"
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    412: "Precondition Failed",
    429: "Too Many Requests",
}


class LittleHorse(LittleHorseComments, LittleHorseControl, Engine):
    name = "littlehorse"

    def __init__(self, **kw):
        super().__init__(**kw)
        self.tasks: dict[tuple[str, str], dict] = {}
        self.rng = data.rng_for(self.seed, self.name)
        n = self.scale or 40
        statuses, weights = zip(*lm.SEED_WEIGHTS, strict=True)
        names = list(lm.TASK_DEFS)
        span = 21 * data.DAY
        for i in range(n):
            status = statuses[i % 4] if i < 8 else self.rng.choices(statuses, weights)[0]
            task = self._add(
                lm.new_task(self.rng, i, names[i % len(names)], self.anchor - span + span * i / n)
            )
            self._seed_state(task, status)
        self.counter = n

    def _add(self, task: dict) -> dict:
        self.tasks[(task["wfRunId"], task["id"])] = task
        return task

    def _seed_state(self, task: dict, status: str) -> None:
        if status == "UNASSIGNED":
            return
        group = lm.TASK_DEFS[task["userTaskDefName"]][0]
        who = data.BY_USERNAME["dave"] if self.rng.random() < 0.08 else data.member_of(group)
        self.assign(task, who, group, task["_ts"] + 600)
        if status == "DONE":
            self.complete(task, lm.sample_results(task["userTaskDefName"]), task["_ts"] + 3600)
        elif status == "CANCELLED":
            self.cancel(task, "Cancelled by the workflow", task["_ts"] + 3600)

    # -- state changes ---------------------------------------------------------------------------
    def assign(self, task: dict, who: data.Person | None, group: str | None, ts: float) -> None:
        old_user = task["user"]["id"] if task["user"] else None
        old_group = task["userGroup"]["id"] if task["userGroup"] else None
        task["user"] = lm.user_json(who) if who else None
        task["userGroup"] = lm.group_json(group) if group else None
        task["status"] = "ASSIGNED" if who else "UNASSIGNED"
        new_group = task["userGroup"]["id"] if task["userGroup"] else None
        task["events"].append(
            lm.assigned_event(ts, old_user, old_group, who.guid if who else None, new_group)
        )

    def complete(self, task: dict, results: dict, ts: float) -> None:
        task["results"] = results
        task["status"] = "DONE"
        task["events"].append(lm.event(ts, "TASK_COMPLETED", {"message": "Task completed"}))

    def cancel(self, task: dict, message: str, ts: float) -> None:
        task["status"] = "CANCELLED"
        task["events"].append(lm.event(ts, "TASK_CANCELLED", {"message": message}))

    # -- auth and errors -------------------------------------------------------------------------
    def caller(self, req: Request) -> data.Person:
        """`<token>` is the admin user; `<token>:<username>` acts as that seeded user."""
        token = req.bearer() or ""
        base, _, username = token.partition(":")
        if base != self.token:
            raise ApiError(401, "Missing or invalid bearer token.")
        if not username:
            return data.ADMIN
        person = data.BY_USERNAME.get(username)
        if person is None:
            raise ApiError(401, f"Unknown user {username!r}.")
        return person

    def authenticate(self, req: Request) -> None:
        self.caller(req)
        if req.path.split("/")[1] != lm.TENANT:
            raise ApiError(401, "Unknown tenant.")
        if req.path.split("/")[2:3] == ["admin"] and self.caller(req) is not data.ADMIN:
            raise ApiError(403, "The admin role is required.")

    def error_response(self, req: Request, err: ApiError) -> Response:
        title = TITLES.get(err.status, "Internal Server Error" if err.status >= 500 else "Error")
        body = {
            "type": "about:blank",
            "title": title,
            "status": err.status,
            "detail": err.message,
            "instance": req.path,
        }
        return Response.json(body, err.status, PROBLEM_JSON, err.headers)

    def _task(self, req: Request, check_access: bool = True) -> dict:
        task = self.tasks.get((req.params["wf"], req.params["guid"]))
        if task is None:
            raise ApiError(404, "User task not found.")
        if check_access and not self.can_see(self.caller(req), task):
            raise ApiError(403, "The task is not assigned to you or your groups.")
        return task

    @staticmethod
    def can_see(p: data.Person, task: dict) -> bool:
        if task["user"]:
            return task["user"]["id"] == p.guid
        return bool(task["userGroup"]) and task["userGroup"]["name"] in lm.groups_of(p)

    # -- views -----------------------------------------------------------------------------------
    @staticmethod
    def simple(task: dict) -> dict:
        out = {
            k: task[k]
            for k in ("id", "wfRunId", "userTaskDefName", "status", "notes", "scheduledTime")
        }
        if task["userGroup"]:
            out["userGroup"] = task["userGroup"]
        if task["user"]:
            out["user"] = task["user"]
        return out

    def detailed(self, task: dict, events: bool = False) -> dict:
        out = {
            **self.simple(task),
            "fields": lm.TASK_DEFS[task["userTaskDefName"]][2],
            "results": task["results"],
        }
        if events:
            out["events"] = task["events"]
        return out

    def _page(self, req: Request, items: list, key: str, render) -> Response:
        limit = req.q_int("limit", None, 1, 1000)
        if limit is None:
            raise ApiError(400, "limit is required.")
        offset = 0
        if req.q("bookmark"):
            try:
                offset = int(data.decode_token(req.q("bookmark"))["o"])
            except (ValueError, KeyError, TypeError):
                raise ApiError(400, "Invalid bookmark.") from None

        def encoded() -> bytes:
            body = {key: [render(x) for x in items[offset : offset + limit]]}
            if offset + limit < len(items):
                body["bookmark"] = data.encode_token({"o": offset + limit})
            return encode(body)

        # The page is a function of the request (path, caller, query) and the engine's state.
        return Response(200, self.cached_page(req.cache_key(), encoded), {"Content-Type": JSON})

    def _filter(self, req: Request, tasks, type_required: bool = False):
        status, kind, group = req.q("status"), req.q("type"), req.q("user_group_id")
        user_id = req.q("user_id")
        if type_required and not kind:
            raise ApiError(400, "type is required.")
        if status and status not in lm.STATUSES:
            raise ApiError(400, f"Invalid status {status!r}.")
        if group:
            group = lm.find_group(group) or group
        try:
            lo = (
                iso_ms(data.parse_iso(req.q("earliest_start_date")))
                if req.q("earliest_start_date")
                else None
            )
            hi = (
                iso_ms(data.parse_iso(req.q("latest_start_date")))
                if req.q("latest_start_date")
                else None
            )
        except ValueError:
            raise ApiError(400, "Dates must be ISO 8601.") from None
        key = (req.path, req.bearer(), status, kind, group, user_id, lo, hi)
        return self.cached(
            key,
            lambda: [
                t
                for t in tasks
                if (not status or t["status"] == status)
                and (not kind or t["userTaskDefName"] == kind)
                and (not group or (t["userGroup"] or {}).get("name") == group)
                and (not user_id or (t["user"] or {}).get("id") == user_id)
                and (lo is None or t["scheduledTime"] >= lo)
                and (hi is None or t["scheduledTime"] <= hi)
            ],
        )

    # -- user routes -----------------------------------------------------------------------------
    @route("GET", T + "/tasks")
    def list_tasks(self, req: Request) -> Response:
        me = self.caller(req)
        mine = (t for t in self.tasks.values() if self.can_see(me, t))
        return self._page(req, self._filter(req, mine), "userTasks", self.simple)

    @route("GET", T + "/tasks/claimable")
    def claimable(self, req: Request) -> Response:
        me, group = self.caller(req), req.q("user_group_id")
        if not group:
            raise ApiError(400, "user_group_id is required.")
        name = lm.find_group(group)
        if name is None or name not in lm.groups_of(me):
            raise ApiError(403, "You are not a member of that group.")
        open_tasks = (t for t in self.tasks.values() if t["status"] == "UNASSIGNED")
        return self._page(req, self._filter(req, open_tasks), "userTasks", self.simple)

    @route("GET", T + TASK)
    def get_task(self, req: Request) -> Response:
        return Response.json(self.detailed(self._task(req)))

    @route("POST", T + TASK + "/claim")
    def claim(self, req: Request) -> Response:
        task, me = self._task(req), self.caller(req)
        if task["status"] != "UNASSIGNED":
            raise ApiError(409, f"The task is {task['status']} and cannot be claimed.")
        self.assign(task, me, (task["userGroup"] or {}).get("name"), data.now())
        return Response.empty(204)

    @route("POST", T + TASK + "/cancel")
    def cancel_task(self, req: Request) -> Response:
        task = self._task(req)
        if task["status"] in lm.FINAL:
            raise ApiError(403, f"The task is already {task['status']}.")
        self.cancel(task, f"Cancelled by {self.caller(req).username}", data.now())
        return Response.empty(204)

    @route("POST", T + TASK + "/result")
    def result(self, req: Request) -> Response:
        return self._complete(req, self._task(req))

    def _complete(self, req: Request, task: dict) -> Response:
        if task["status"] in lm.FINAL:
            raise ApiError(412, f"The task is already {task['status']}.")  # (inferred) status
        try:
            results = lm.check_results(task["userTaskDefName"], req.json)
        except ValueError as exc:
            raise ApiError(400, str(exc)) from None
        me = self.caller(req)
        if task["user"] is None:
            self.assign(task, me, (task["userGroup"] or {}).get("name"), data.now())
        self.complete(task, results, data.now())
        return Response.empty(204)

    @route("GET", T + "/groups")
    def groups(self, req: Request) -> Response:
        return Response.json({"groups": [lm.group_json(g) for g in lm.groups_of(self.caller(req))]})

    @route("GET", T + "/userInfo")
    def user_info(self, req: Request) -> Response:
        return Response.json(lm.user_json(self.caller(req)))

    # -- admin routes ----------------------------------------------------------------------------
    @route("GET", T + "/admin/tasks")
    def admin_tasks(self, req: Request) -> Response:
        items = self._filter(req, self.tasks.values(), type_required=True)
        return self._page(req, items, "userTasks", self.simple)

    @route("GET", T + "/admin/taskTypes")
    def task_types(self, req: Request) -> Response:
        return self._page(req, list(lm.TASK_DEFS), "userTaskDefNames", str)

    @route("GET", T + "/admin" + TASK)
    def admin_get(self, req: Request) -> Response:
        return Response.json(self.detailed(self._task(req, False), events=True))

    @route("POST", T + "/admin" + TASK + "/result")
    def admin_result(self, req: Request) -> Response:
        return self._complete(req, self._task(req, False))

    @route("POST", T + "/admin" + TASK + "/cancel")
    def admin_cancel(self, req: Request) -> Response:
        task = self._task(req, False)
        if task["status"] in lm.FINAL:
            raise ApiError(403, f"The task is already {task['status']}.")
        self.cancel(task, "Cancelled by an administrator", data.now())
        return Response.empty(204)

    @route("POST", T + "/admin" + TASK + "/claim")
    def admin_claim(self, req: Request) -> Response:
        task = self._task(req, False)
        if task["status"] in lm.FINAL:
            raise ApiError(409, f"The task is {task['status']} and cannot be claimed.")
        self.assign(task, data.ADMIN, (task["userGroup"] or {}).get("name"), data.now())
        return Response.empty(204)

    @route("POST", T + "/admin" + TASK + "/assign")
    def admin_assign(self, req: Request) -> Response:
        task, body = self._task(req, False), req.json_object()
        user_id = body.get("userId")
        group_ref = body.get("userGroup") or body.get(
            "userGroupId"
        )  # the seed's client says userGroupId
        if not user_id and not group_ref:
            raise ApiError(400, "Give userId, userGroup or both.")
        if task["status"] in lm.FINAL:
            raise ApiError(
                409, f"The task is {task['status']} and cannot be assigned."
            )  # (inferred)
        who = next((p for p in data.PEOPLE if p.guid == user_id), None) if user_id else None
        if user_id and who is None:
            raise ApiError(400, f"Unknown user {user_id!r}.")
        group = lm.find_group(group_ref) if group_ref else None
        if group_ref and group is None:
            raise ApiError(400, f"Unknown user group {group_ref!r}.")
        self.assign(task, who, group, data.now())
        return Response.empty(204)

    @route("GET", T + "/admin/groups")
    def admin_groups(self, req: Request) -> Response:
        return Response.json({"groups": [lm.group_json(g) for g in lm.GROUP_IDS]})

    @route("GET", T + "/admin/users")
    def admin_users(self, req: Request) -> Response:
        wanted = {k: req.q(k) for k in ("email", "first_name", "last_name", "username") if req.q(k)}
        group = lm.find_group(req.q("user_group_id")) if req.q("user_group_id") else None
        first = req.q_int("first_result", 0)
        size = req.q_int("max_results", 100, 1, 1000)
        attrs = {
            "email": "email",
            "first_name": "first",
            "last_name": "last",
            "username": "username",
        }
        people = [
            p
            for p in data.PEOPLE
            if all(getattr(p, attrs[k]).lower() == v.lower() for k, v in wanted.items())
            and (not req.q("user_group_id") or group in lm.groups_of(p))
        ]
        return Response.json({"users": [lm.user_json(p) for p in people[first : first + size]]})

    @route("GET", T + "/admin/users/(?P<id>[^/]+)")
    def admin_user(self, req: Request) -> Response:
        person = next((p for p in data.PEOPLE if p.guid == req.params["id"]), None)
        if person is None:
            raise ApiError(404, "User not found.")
        return Response.json(lm.user_json(person))
