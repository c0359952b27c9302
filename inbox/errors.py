"""The errors of inbox operations, each with a stable ``code`` and HTTP status that the API and the
UI both render (DESIGN §5).
"""

from http import HTTPStatus


class InboxError(Exception):
    code = "error"
    status = HTTPStatus.BAD_REQUEST

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def as_dict(self) -> dict:
        body = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class NotFound(InboxError):
    """It does not exist, or the caller may not see it: the two are indistinguishable."""

    code = "not_found"
    status = HTTPStatus.NOT_FOUND


class Forbidden(InboxError):
    """Visible to the caller, but this action is not theirs."""

    code = "forbidden"
    status = HTTPStatus.FORBIDDEN


class TaskStateError(InboxError):
    """The task is terminal, or in the wrong state for the action."""

    code = "task_state"
    status = HTTPStatus.CONFLICT


class AssignmentError(InboxError):
    """Already claimed, not in the group, or an unknown user or group."""

    code = "assignment"
    status = HTTPStatus.CONFLICT


class VersionMismatch(InboxError):
    """The caller's expected version (If-Match) is stale."""

    code = "precondition_failed"
    status = HTTPStatus.PRECONDITION_FAILED


class ValidationError(InboxError):
    """Results or parameters are invalid; ``fields`` holds one list of messages per bad field."""

    code = "validation"
    status = HTTPStatus.BAD_REQUEST


class Unsupported(InboxError):
    """The engine that owns the task or case cannot do this action; the message says what to do
    instead. Raised before anything changes."""

    code = "unsupported"
    status = HTTPStatus.CONFLICT
