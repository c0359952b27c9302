"""The control API (`/_control/...`): reset, seed, act inside engines, write-backs, faults."""

from __future__ import annotations

from .core import ApiError, Engine, Request, Response, route
from .faults import ENGINES

E = "(?P<engine>" + "|".join(ENGINES) + ")"


class ControlApi(Engine):
    """Unauthenticated: the simulator is a local test double, never exposed."""

    name = "control"

    def __init__(self, sim):
        super().__init__(seed=0, scale=None, token="", anchor=0.0)
        self.sim = sim

    def authenticate(self, req: Request) -> None:
        return None

    def dispatch(self, req: Request) -> Response:
        try:
            return super().dispatch(req)
        finally:
            for engine in self.sim.engines.values():
                engine.changed()  # a control call may act inside any engine: drop cached lists

    def error_response(self, req: Request, err: ApiError) -> Response:
        return Response.json({"error": err.message, "status": err.status}, err.status)

    def _engine(self, req: Request) -> Engine:
        return self.sim.engines[req.params["engine"]]

    def _locked(self, req: Request, fn, *args):
        engine = self._engine(req)
        with engine.lock:
            return fn(*args)

    @route("GET", r"/_control/health")
    def health(self, req: Request) -> Response:
        return Response.json(
            {
                "status": "ok",
                "seed": self.sim.seed,
                "scale": self.sim.scale,
                "engines": self.sim.urls,
            }
        )

    @route("GET", r"/_control/identities")
    def identities(self, req: Request) -> Response:
        out = {"token": self.sim.token, "urls": self.sim.urls}
        for name, engine in self.sim.engines.items():
            with engine.lock:
                out[name] = engine.identities()
        return Response.json(out)

    @route("POST", r"/_control/reset")
    def reset(self, req: Request) -> Response:
        body = req.json_object()
        try:
            seed = int(body.get("seed", self.sim.seed))
            scale = None if body.get("scale") is None else int(body["scale"])
        except (TypeError, ValueError):
            raise ApiError(400, "seed and scale must be integers.") from None
        if scale is not None and scale < 1:
            raise ApiError(400, "scale must be at least 1.")
        self.sim.reset(seed, scale, body.get("anchor", self.sim.anchor))
        return Response.json({"status": "ok", "seed": seed, "scale": scale})

    @route("POST", r"/_control/tick")
    def tick(self, req: Request) -> Response:
        """Let time pass in every engine (or `{"engine": name}`); `{"limit": n}` per engine."""
        body = req.json_object()
        limit = body.get("limit", 3)
        if not isinstance(limit, int) or limit < 1:
            raise ApiError(400, "limit must be a positive integer.")
        moved = {}
        for name, engine in self.sim.engines.items():
            if body.get("engine") in (None, name):
                with engine.lock:
                    moved[name] = engine.tick(limit)
        return Response.json({"moved": moved})

    # -- engine state -------------------------------------------------------------------------
    @route("GET", rf"/_control/{E}/instances")
    def list_ids(self, req: Request) -> Response:
        ids = self._locked(req, self._engine(req).ctl_ids)
        out = {"engine": req.params["engine"], "count": len(ids), "ids": ids}
        if req.params["engine"] == "strategy":
            out["sids"] = ids
        return Response.json(out)

    @route("POST", rf"/_control/{E}/instances")
    def create_instance(self, req: Request) -> Response:
        engine = self._engine(req)
        return Response.json(self._locked(req, engine.ctl_create_instance, req.json_object()), 201)

    @route("POST", rf"/_control/{E}/instances/(?P<id>[^/]+)/(?P<action>[a-z-]+)")
    def instance_action(self, req: Request) -> Response:
        engine, p = self._engine(req), req.params
        return Response.json(
            self._locked(req, engine.ctl_instance_action, p["id"], p["action"], req.json_object())
        )

    @route("POST", rf"/_control/{E}/tasks")
    def create_task(self, req: Request) -> Response:
        engine = self._engine(req)
        return Response.json(self._locked(req, engine.ctl_create_task, req.json_object()), 201)

    # Task ids may contain a slash (LittleHorse: `{wfRunId}/{userTaskGuid}`).
    @route("POST", rf"/_control/{E}/tasks/(?P<id>.+)/(?P<action>[a-z-]+)")
    def task_action(self, req: Request) -> Response:
        engine, p = self._engine(req), req.params
        return Response.json(
            self._locked(req, engine.ctl_task_action, p["id"], p["action"], req.json_object())
        )

    # -- write-backs --------------------------------------------------------------------------
    @route("GET", rf"/_control/{E}/writebacks")
    def writebacks(self, req: Request) -> Response:
        items = self.sim.writebacks[req.params["engine"]].list()
        return Response.json(
            {"engine": req.params["engine"], "count": len(items), "writebacks": items}
        )

    @route("DELETE", rf"/_control/{E}/writebacks")
    def clear_writebacks(self, req: Request) -> Response:
        return Response.json({"cleared": self.sim.writebacks[req.params["engine"]].clear()})

    @route("GET", r"/_control/writebacks")
    def all_writebacks(self, req: Request) -> Response:
        return Response.json({name: log.list() for name, log in self.sim.writebacks.items()})

    @route("DELETE", r"/_control/writebacks")
    def clear_all_writebacks(self, req: Request) -> Response:
        return Response.json({"cleared": sum(log.clear() for log in self.sim.writebacks.values())})

    # -- faults -------------------------------------------------------------------------------
    @route("GET", r"/_control/faults")
    def faults(self, req: Request) -> Response:
        return Response.json({"faults": self.sim.faults.list()})

    @route("POST", r"/_control/faults")
    def add_fault(self, req: Request) -> Response:
        body = req.json
        specs = body if isinstance(body, list) else [req.json_object()]
        return Response.json({"faults": [self.sim.faults.add(s).to_json() for s in specs]}, 201)

    @route("DELETE", r"/_control/faults")
    def clear_faults(self, req: Request) -> Response:
        return Response.json({"cleared": self.sim.faults.clear(engine=req.q("engine"))})

    @route("DELETE", r"/_control/faults/(?P<id>\d+)")
    def clear_fault(self, req: Request) -> Response:
        cleared = self.sim.faults.clear(fault_id=int(req.params["id"]))
        if not cleared:
            raise ApiError(404, "No such fault.")
        return Response.json({"cleared": cleared})
