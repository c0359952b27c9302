"""Control-API hooks for UiPath: act inside Maestro/Orchestrator as its own users would."""

from __future__ import annotations

from . import data
from . import uipath_model as m
from .core import ApiError


class UiPathControl:
    """Mixed into the UiPath engine (uses its state and state-change methods)."""

    def tick(self, limit: int = 3) -> int:
        """Pending cases start and run to their first action task."""
        pending = [i for i in self.instances.values() if i["latestRunStatus"] == "Pending"][:limit]
        for inst in pending:
            self.ctl_instance_action(inst["instanceId"], "start", {})
        return len(pending)

    def ctl_ids(self) -> list[str]:
        return list(self.order)

    def identities(self) -> dict:
        return {
            "org": m.ORG,
            "tenant": m.TENANT,
            "folderKey": m.FOLDER_KEY,
            "organizationUnitId": m.FOLDER_ID,
            "folderName": m.FOLDER_NAME,
            "processKeys": [f"CaseManagement.{t.key}" for t in m.TEMPLATES],
        }

    def _case(self, instance_id: str) -> dict:
        inst = self.instances.get(instance_id)
        if inst is None:
            raise ApiError(404, f"No case instance {instance_id}.")
        return inst

    def ctl_create_instance(self, body: dict) -> dict:
        """Start a case; it runs to its first action stage and opens that task."""
        key = str(body.get("processKey") or "LoanApplication").removeprefix("CaseManagement.")
        if key not in m.BY_KEY:
            raise ApiError(400, f"Unknown processKey; use one of {sorted(m.BY_KEY)}.")
        ts = data.now()
        inst = m.new_instance(self.rng, self.counter, ts, "Pending", m.BY_KEY[key])
        self.counter += 1
        self._add_instance(inst)
        m.set_status(inst, "Running", ts)
        self._advance(inst, ts)
        who = body.get("assignee")
        tasks = [self.tasks[t] for t in self.tasks_by_case[inst["instanceId"]]]
        if who is not None:
            person = data.find_person(who)
            if person is None:
                raise ApiError(400, f"Unknown user {who!r}.")
            for task in tasks:
                self.assign_task(task, person, ts)
        return {
            **self.public(inst),
            "taskIds": [t["Id"] for t in tasks],
            "tasks": [self.task_json(t, {"assignedtouser", "activities"}) for t in tasks],
        }

    def ctl_instance_action(self, instance_id: str, action: str, body: dict) -> dict:
        inst = self._case(instance_id)
        ts = data.now()
        if action == "fail":
            if inst["latestRunStatus"] in ("Completed", "Cancelled"):
                raise ApiError(400, "The instance has already ended.")
            m.set_status(inst, "Faulted", ts)
        elif action == "start":
            if inst["latestRunStatus"] != "Pending":
                raise ApiError(400, "Only a Pending instance can be started.")
            m.set_status(inst, "Running", ts)
            self._advance(inst, ts)
        elif action == "complete":
            for tid in self.tasks_by_case[instance_id]:
                task = self.tasks[tid]
                if not task["IsCompleted"] and not task["IsDeleted"]:
                    self._finish(task, "approve", {}, data.ADMIN, ts)
            inst["_times"] = [[s, e if e is not None else ts] for s, e in inst["_times"]]
            inst["_stage"] = len(m.BY_KEY[inst["_tmpl"]].stages)
            m.set_status(inst, "Completed", ts, ended=True)
        elif action in ("cancel", "pause", "resume"):
            self.change_status(inst, action)
        else:
            raise ApiError(400, "Instance actions: fail, start, complete, cancel, pause, resume.")
        return self.public(inst)

    def ctl_create_task(self, body: dict) -> dict:
        """Open another action task on a case's current stage, or start a new case for one."""
        if not body.get("caseId"):
            created = self.ctl_create_instance(body)
            return created["tasks"][0]
        inst = self._case(str(body["caseId"]))
        k = inst["_stage"]
        t = m.BY_KEY[inst["_tmpl"]]
        if inst["latestRunStatus"] not in m.OPEN_CASE or not 0 <= k < len(t.stages):
            raise ApiError(400, "The case is not at an open stage.")
        if not t.stages[k].action:
            raise ApiError(400, "The case's current stage has no action task.")
        person = data.find_person(body["assignee"]) if body.get("assignee") else None
        task = self._open_task(inst, k, data.now(), person)
        if body.get("title"):
            task["Title"] = str(body["title"])
        return self.task_json(task, {"assignedtouser", "activities"})

    def ctl_task_action(self, task_id: str, action: str, body: dict) -> dict:
        task = self._task(task_id)
        ts = data.now()
        who = body.get("user")
        person = data.find_person(who) if who is not None else None
        if who is not None and person is None:
            raise ApiError(400, f"Unknown user {who!r}.")
        if action == "complete":
            if task["IsCompleted"]:
                raise ApiError(400, "Task is already completed.")
            values = body.get("data") or {}
            self.complete_task(task, body.get("action", "approve"), values, person or data.ADMIN)
        elif action in ("reassign", "assign"):
            if person is None:
                raise ApiError(400, "Give the user to assign: {'user': 'alice'}.")
            self.assign_task(task, person, ts)
        elif action == "unassign":
            self.assign_task(task, None, ts)
        elif action == "delete":
            task["IsDeleted"] = True
            task["LastModificationTime"] = data.iso_ms(ts)
        else:
            raise ApiError(400, "Task actions: complete, reassign, unassign, delete.")
        return self.task_json(task, {"assignedtouser", "activities"})
