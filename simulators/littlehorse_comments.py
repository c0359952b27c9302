"""LittleHorse bridge comment routes: add, edit, delete and list a task's comments."""

from __future__ import annotations

from . import data
from . import littlehorse_model as lm
from .core import ApiError, Request, Response, route

T = r"/(?P<tenant>[^/]+)"
TASK = r"/tasks/(?P<wf>[^/]+)/(?P<guid>[^/]+)"


class LittleHorseComments:
    """Mixed into the LittleHorse engine; comments are audit events on the task."""

    # -- comments --------------------------------------------------------------------------------
    @route("POST", T + TASK + "/comment")
    def add_comment(self, req: Request) -> Response:
        task, me = self._task(req), self.caller(req)
        text = req.json_object().get("comment")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "comment is required.")
        return Response.json(self.comment(task, me, text))

    def comment(self, task: dict, me: data.Person, text: str) -> dict:
        cid = task["_next_comment"]
        task["_next_comment"] += 1
        ev = lm.event(
            data.now(), "COMMENT_ADDED", {"comment": text, "userId": me.guid, "commentId": cid}
        )
        task["_comments"][cid] = {"author": me.guid, "current": ev, "deleted": False}
        task["events"].append(ev)
        return ev

    def _comment(self, req: Request, task: dict) -> dict:
        try:
            item = task["_comments"].get(int(req.params["cid"]))
        except ValueError:
            item = None
        if item is None or item["deleted"]:
            raise ApiError(404, "Comment not found.")
        me = self.caller(req)
        if item["author"] != me.guid and me is not data.ADMIN:
            raise ApiError(403, "Only the author can change a comment.")
        return item

    @route("PUT", T + TASK + r"/comment/(?P<cid>[^/]+)")
    def edit_comment(self, req: Request) -> Response:
        task = self._task(req)
        item, me = self._comment(req, task), self.caller(req)
        text = req.json_object().get("comment")
        if not isinstance(text, str) or not text.strip():
            raise ApiError(400, "comment is required.")
        cid = int(req.params["cid"])
        ev = lm.event(
            data.now(), "COMMENT_EDITED", {"comment": text, "userId": me.guid, "commentId": cid}
        )
        item["current"] = ev
        task["events"].append(ev)
        return Response.json(ev)

    @route("DELETE", T + TASK + r"/comment/(?P<cid>[^/]+)")
    def delete_comment(self, req: Request) -> Response:
        task = self._task(req)
        item, me = self._comment(req, task), self.caller(req)
        item["deleted"] = True
        ev = lm.event(
            data.now(), "COMMENT_DELETED", {"userId": me.guid, "commentId": int(req.params["cid"])}
        )
        task["events"].append(ev)
        return Response.json(ev)

    @route("GET", T + TASK + "/comments")
    def comments(self, req: Request) -> Response:
        task = self._task(req)
        items = [c["current"] for c in task["_comments"].values() if not c["deleted"]]
        return Response.json(items) if items else Response.empty(204)
