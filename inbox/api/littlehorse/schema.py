"""The compatibility routes' OpenAPI document (``/littlehorse/schema/``), apart from the
inbox's own ``/api/v1/schema/``: each describes only its own paths."""

BRIDGE_PREFIX = "/littlehorse/"


def only_bridge_routes(endpoints, **kwargs):
    """drf-spectacular preprocessing hook for the bridge document."""
    return [e for e in endpoints if e[0].startswith(BRIDGE_PREFIX)]


def without_bridge_routes(endpoints, **kwargs):
    """drf-spectacular preprocessing hook for the inbox's own document."""
    return [e for e in endpoints if not e[0].startswith(BRIDGE_PREFIX)]


SCHEMA_SETTINGS = {
    "TITLE": "LittleHorse user-tasks bridge compatibility",
    "DESCRIPTION": (
        "The routes of the LittleHorse user-tasks bridge, answered by the inbox under "
        "`/littlehorse/{tenant_id}/` so the bridge's clients work unchanged. Bearer API tokens "
        "of the inbox. The inbox's own API is described at `/api/v1/schema/`."
    ),
    "SCHEMA_PATH_PREFIX": r"/littlehorse/\{tenant_id\}",
    "PREPROCESSING_HOOKS": ["inbox.api.littlehorse.schema.only_bridge_routes"],
    "TAGS": [
        {
            "name": "littlehorse",
            "description": "LittleHorse user-tasks bridge compatibility (tasks, admin, "
            "management of users and groups).",
        }
    ],
}
