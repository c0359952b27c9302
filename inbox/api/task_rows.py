"""The API's list rows built directly: the same dicts ``TaskSerializer(tasks, many=True).data``
gives, without a serializer field object per value (50 rows x 17 fields plus 4 nested
serializers cost several times the page's own SQL). ``task_state`` does the same for the
claim's answer (``TaskStateSerializer``: the row plus description, form, results and context),
where walking the serializer's fields cost a tenth of the whole request.

``TaskSerializer`` and ``TaskStateSerializer`` stay the schema (OpenAPI) and the shape of a
single task; this module follows them field for field, and ``tests/api/test_task_rows.py``
holds them equal on tasks with and without every optional reference. A form or results entry
of an unusual shape (a value that is not a plain string or boolean, a missing key) is left to
the serializer itself, so that its answer, or its error, stays exactly the serializer's. Times are ISO 8601 in the request's time zone
(``+00:00`` written ``Z``), as DRF's ``DateTimeField`` writes them. Pure: no query (the rows
come with their assignee, group, case and source, as ``task_page`` loads them).
"""

from django.utils import timezone


def iso(value) -> str | None:
    """DRF's ``DateTimeField`` output: the aware time in the current zone, ``Z`` for UTC."""
    if not value:
        return None
    text = value.astimezone(timezone.get_current_timezone()).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def task_rows(tasks) -> list[dict]:
    """``TaskSerializer``'s list shape of each task, in order."""
    return [_row(task) for task in tasks]


def _row(task) -> dict:
    assignee = task.assignee if task.assignee_id is not None else None
    group = task.group if task.group_id is not None else None
    case = task.case if task.case_id is not None else None
    source = task.source
    return {
        "id": str(task.id),
        "wf_run_id": str(task.wf_run_id),
        "type": str(task.task_type),
        "title": str(task.title),
        "status": str(task.status),
        "assignee": ({"id": assignee.id, "username": str(assignee.username)} if assignee else None),
        "group": {"id": group.id, "name": str(group.name)} if group else None,
        "upstream_assignee": str(task.upstream_assignee),
        "priority": int(task.priority),
        "due_at": iso(task.due_at),
        "created_at": iso(task.created_at),
        "updated_at": iso(task.updated_at),
        "completed_at": iso(task.completed_at),
        "case": (
            {"id": case.id, "name": str(case.name), "external_id": str(case.external_id)}
            if case
            else None
        ),
        "source": {"id": source.id, "name": str(source.name), "kind": str(source.kind)},
        "version": int(task.version),
        "delivery": str(task.delivery),
    }


_FIELD_KEYS = ("name", "display_name", "description", "type")


def task_state(task) -> dict:
    """``TaskStateSerializer(task).data`` (the claim's answer), built directly."""
    state = _row(task)
    state["description"] = str(task.description)
    fields = task.fields
    results = task.results
    plain = (
        isinstance(fields, list)
        and all(
            type(entry) is dict
            and all(type(entry.get(key)) is str for key in _FIELD_KEYS)
            and type(entry.get("required")) is bool
            for entry in fields
        )
        and type(results) is dict
        and all(
            type(value) is dict and "value" in value and type(value.get("type")) is str
            for value in results.values()
        )
    )
    if not plain:  # let the serializer answer (or fail) exactly as it would
        from inbox.api.serializers import TaskStateSerializer

        return TaskStateSerializer(task).data
    state["fields"] = [
        {
            "name": entry["name"],
            "display_name": entry["display_name"],
            "description": entry["description"],
            "type": entry["type"],
            "required": entry["required"],
        }
        for entry in fields
    ]
    state["results"] = {
        str(name): {"type": value["type"], "value": value["value"]}
        for name, value in results.items()
    }
    state["context"] = {str(key): value for key, value in task.context.items()}
    return state
