"""Helpers shared by the LittleHorse-bridge compatibility tests."""

import re

BASE = "/littlehorse/default"
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def task_url(task, suffix="", admin=False):
    prefix = f"{BASE}/admin/tasks" if admin else f"{BASE}/tasks"
    return f"{prefix}/{task.wf_run_id}/{task.id}{suffix}"


def assert_problem(response, status):
    """An error as bridge clients read it: JSON with ``message`` and the RFC 9457 members."""
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance", "message"} <= set(body)
    assert body["instance"] == response.wsgi_request.path
    assert body["message"] == body["detail"]
    return body


def assert_empty(response, status):
    """A body-less answer without a Content-Type, as the bridge's ``void`` handlers send."""
    assert response.status_code == status, response.content[:300]
    assert response.content == b""
    assert "Content-Type" not in response
