"""When two sources watch the same thing: two enabled sources of one engine kind over the same
base URL whose watched scopes intersect would import every task twice.

What a source watches, per kind (``Source.watch``; an empty list means "everything there"):

| kind        | where (must be equal)                 | what (must intersect)         |
| ----------- | ------------------------------------- | ----------------------------- |
| uipath      | org, tenant, folder_key / folder_id    | process_keys                  |
| docusign    | account_id                            | workflow_ids                  |
| cloudflare  | account_id                            | workflows                     |
| strategy    | (the base URL)                        | instance_sids                 |
| littlehorse | tenant (default ``default``)          | task_types                    |

Base URLs compare without userinfo, case-insensitively on scheme and host, with default ports
and trailing slashes ignored. Read-only; callers lock what they need.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from inbox.models import Source

_WHERE = {
    Source.Kind.UIPATH: ("org", "tenant", "folder_key", "folder_id"),
    Source.Kind.DOCUSIGN: ("account_id",),
    Source.Kind.CLOUDFLARE: ("account_id",),
    Source.Kind.STRATEGY: (),
    Source.Kind.LITTLEHORSE: ("tenant",),
}
_WHAT = {
    Source.Kind.UIPATH: "process_keys",
    Source.Kind.DOCUSIGN: "workflow_ids",
    Source.Kind.CLOUDFLARE: "workflows",
    Source.Kind.STRATEGY: "instance_sids",
    Source.Kind.LITTLEHORSE: "task_types",
}
_DEFAULTS = {(Source.Kind.LITTLEHORSE, "tenant"): "default"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Overlap:
    other: Source
    shared: tuple[str, ...]  # the watched items both name; () when either watches everything

    def describe(self) -> str:
        what = _WHAT.get(self.other.kind, "items")
        if self.shared:
            items = ", ".join(self.shared[:5]) + (" …" if len(self.shared) > 5 else "")
            return (
                f"Source {self.other.name!r} already watches the same engine and {what} ({items})."
            )
        return f"Source {self.other.name!r} already watches the same engine and {what}."


def normalise_url(url: str) -> str:
    """``url`` as compared for overlap: no userinfo, lower-case scheme and host, no default
    port, no trailing slash."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return (url or "").strip().rstrip("/").lower()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if port and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}{parts.path.rstrip('/')}"


def _where(kind: str, watch: dict) -> tuple:
    return tuple(
        str(watch.get(key, _DEFAULTS.get((kind, key), "")) or "") for key in _WHERE.get(kind, ())
    )


def _what(kind: str, watch: dict) -> set[str] | None:
    """The watched items, or None for "everything"."""
    items = watch.get(_WHAT.get(kind, ""))
    if not isinstance(items, list) or not items:
        return None
    return {str(item) for item in items}


def find_overlap(
    *, kind: str, base_url: str, watch: dict, exclude_id: int | None = None
) -> Overlap | None:
    """The first other enabled, not deleted source of ``kind`` that watches what these settings
    would, or None."""
    watch = watch if isinstance(watch, dict) else {}
    url, where, what = normalise_url(base_url), _where(kind, watch), _what(kind, watch)
    others = Source.objects.filter(kind=kind, enabled=True, deleted_at__isnull=True).order_by("pk")
    if exclude_id is not None:
        others = others.exclude(pk=exclude_id)
    for other in others:
        other_watch = other.watch if isinstance(other.watch, dict) else {}
        if normalise_url(other.base_url) != url or _where(kind, other_watch) != where:
            continue
        theirs = _what(kind, other_watch)
        if what is None or theirs is None:
            return Overlap(other=other, shared=())
        shared = what & theirs
        if shared:
            return Overlap(other=other, shared=tuple(sorted(shared)))
    return None
