"""What the one HTTP client (``inbox/sync/http.py``) and the connectors share: a source's
settings as plain data, and the error every upstream failure becomes. Nothing here touches the
database or imports another sync module."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SourceConfig:
    name: str
    kind: str
    base_url: str
    credentials: dict = field(default_factory=dict)
    watch: dict = field(default_factory=dict)


class ConnectorError(Exception):
    """An upstream call failed. ``permanent``: retrying the same request cannot succeed."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.permanent = permanent
        self.status = status
        self.retry_after = retry_after


class UnsupportedAction(ConnectorError):
    """The engine offers no such operation (e.g. DocuSign pausing one instance)."""

    def __init__(self, message: str):
        super().__init__(message, permanent=True)
