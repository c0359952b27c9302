"""Control-API hooks for LittleHorse: create user tasks and act on them as bridge users would."""

from __future__ import annotations

from . import data
from . import littlehorse_model as lm
from .core import ApiError


class LittleHorseControl:
    """Mixed into the LittleHorse engine. Task ids are `{wfRunId}/{userTaskGuid}`."""

    def identities(self) -> dict:
        return {
            "tenant": lm.TENANT,
            "adminToken": self.token,
            "userTokens": {p.username: f"{self.token}:{p.username}" for p in data.PEOPLE[1:]},
            "users": [lm.user_json(p) | {"groups": lm.groups_of(p)} for p in data.PEOPLE],
            "groups": [lm.group_json(g) for g in lm.GROUP_IDS],
            "taskTypes": list(lm.TASK_DEFS),
        }

    def ctl_ids(self) -> list[str]:
        return [f"{wf}/{guid}" for wf, guid in self.tasks]

    def ctl_create_task(self, body: dict) -> dict:
        kind = body.get("type", "approve-expense")
        if kind not in lm.TASK_DEFS:
            raise ApiError(400, f"Unknown task type; use one of {list(lm.TASK_DEFS)}.")
        task = self._add(lm.new_task(self.rng, self.counter, kind, data.now(), body.get("notes")))
        self.counter += 1
        if body.get("wfRunId"):
            del self.tasks[(task["wfRunId"], task["id"])]
            task["wfRunId"] = str(body["wfRunId"])
            self._add(task)
        group = body.get("group")
        user = body.get("user")
        if group or user:
            name = lm.find_group(group) if group else None
            person = data.find_person(user) if user else None
            if (group and name is None) or (user and person is None):
                raise ApiError(400, "Unknown user or group.")
            self.assign(task, person, name or (task["userGroup"] or {}).get("name"), data.now())
        return {**self.detailed(task, events=True), "taskId": f"{task['wfRunId']}/{task['id']}"}

    ctl_create_instance = ctl_create_task  # a workflow run with one user task

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        """`fail` or `cancel` a workflow run: its open user tasks are cancelled."""
        if action not in ("fail", "cancel"):
            raise ApiError(400, "Workflow run actions: fail, cancel.")
        runs = [t for (wf, _), t in self.tasks.items() if wf == instance_id]
        if not runs:
            raise ApiError(404, f"No workflow run {instance_id}.")
        message = (
            body.get("message") or f"Workflow run {'failed' if action == 'fail' else 'halted'}"
        )
        for task in runs:
            if task["status"] not in lm.FINAL:
                self.cancel(task, message, data.now())
        return {"wfRunId": instance_id, "tasks": [self.simple(t) for t in runs]}

    def ctl_task_action(self, task_id: str, action: str, body: dict) -> dict:
        wf, _, guid = task_id.partition("/")
        task = self.tasks.get((wf, guid))
        if task is None:
            raise ApiError(404, f"No user task {task_id}.")
        ts = data.now()
        person = data.find_person(body["user"]) if body.get("user") else None
        if body.get("user") and person is None:
            raise ApiError(400, f"Unknown user {body['user']!r}.")
        if action != "comment" and task["status"] in lm.FINAL:
            raise ApiError(409, f"The task is already {task['status']}.")
        if action == "complete":
            results = body.get("results") or lm.sample_results(task["userTaskDefName"])
            try:
                lm.check_results(task["userTaskDefName"], results)
            except ValueError as exc:
                raise ApiError(400, str(exc)) from None
            if person:
                self.assign(task, person, (task["userGroup"] or {}).get("name"), ts)
            self.complete(task, results, ts)
        elif action in ("assign", "reassign"):
            group = lm.find_group(body["group"]) if body.get("group") else None
            keep = (task["userGroup"] or {}).get("name")
            self.assign(task, person, group or keep, ts)
        elif action == "cancel":
            self.cancel(task, body.get("message", "Cancelled by the workflow"), ts)
        elif action == "comment":
            self.comment(task, person or data.ADMIN, str(body.get("comment", "A comment")))
        else:
            raise ApiError(400, "Task actions: complete, assign, cancel, comment.")
        return self.detailed(task, events=True)
