"""The OData subset Orchestrator task queries use: `$filter`, `$orderby`, `$top/$skip/$count`."""

from __future__ import annotations

import re
from collections.abc import Callable

from .core import ApiError
from .data import iso_ms, parse_iso

Predicate = Callable[[dict], bool]
INVALID = "The query specified in the URI is not valid. "

_TAG = re.compile(
    r"Tags/any\((?P<v>\w+):\s*(?P=v)/(?:DisplayName|Name)\s+eq\s+'(?P<value>(?:[^']|'')*)'\)", re.I
)
_CMP = re.compile(r"(?P<field>[A-Za-z/]+)\s+(?P<op>eq|ne|gt|ge|lt|le)\s+(?P<value>.+)", re.I)
_DATE_FIELDS = {"CreationTime", "LastModificationTime", "CompletionTime", "LastAssignedTime"}
_OPS = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a is not None and a > b,
    "ge": lambda a, b: a is not None and a >= b,
    "lt": lambda a, b: a is not None and a < b,
    "le": lambda a, b: a is not None and a <= b,
}


def split_and(expr: str) -> list[str]:
    """Split on top-level ` and ` (outside parentheses and quotes), unwrapping parentheses."""
    parts, depth, quoted, start, i = [], 0, False, 0, 0
    low = expr.lower()
    while i < len(expr):
        ch = expr[i]
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        elif not quoted and depth == 0 and re.match(r"\s+and\s+", low[i:]):
            parts.append(expr[start:i])
            i += len(re.match(r"\s+and\s+", low[i:]).group(0))
            start = i
            continue
        i += 1
    parts.append(expr[start:])
    out = []
    for part in (p.strip() for p in parts):
        unwrapped = False
        while part.startswith("(") and part.endswith(")") and _balanced(part[1:-1]):
            part, unwrapped = part[1:-1].strip(), True
        if unwrapped:
            out.extend(split_and(part))
        elif part:
            out.append(part)
    return out


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            return False
    return depth == 0


def _literal(raw: str, field: str):
    raw = raw.strip()
    if raw.startswith("'") and raw.endswith("'"):
        raw = raw[1:-1].replace("''", "'")
        quoted = True
    else:
        quoted = False
    if field in _DATE_FIELDS:
        try:
            return iso_ms(parse_iso(raw))  # compared as strings: same fixed-width format
        except ValueError:
            raise ApiError(400, INVALID + f"Bad date literal {raw!r}.") from None
    if not quoted:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if raw.lower() == "null":
            return None
        try:
            return int(raw)
        except ValueError:
            raise ApiError(400, INVALID + f"Bad literal {raw!r}.") from None
    return raw


def parse_filter(expr: str | None) -> tuple[str | None, list[Predicate]]:
    """(case id from a Tags/any clause or None, predicates for every other clause)."""
    tag, preds = None, []
    for clause in split_and(expr or ""):
        m = _TAG.fullmatch(clause)
        if m:
            tag = m.group("value").replace("''", "'")
            continue
        m = _CMP.fullmatch(clause)
        if not m:
            raise ApiError(400, INVALID + f"Unsupported clause {clause!r}.")
        field, op = m.group("field"), m.group("op").lower()
        value = _literal(m.group("value"), field)
        preds.append(_predicate(field, _OPS[op], value))
    return tag, preds


def _predicate(field: str, op, value) -> Predicate:
    if field == "Status" and isinstance(value, int):
        names = ("Unassigned", "Pending", "Completed")
        return lambda t: op(names.index(t["Status"]), value)
    if "/" in field:
        head, tail = field.split("/", 1)
        return lambda t: op((t.get(head) or {}).get(tail), value)
    return lambda t: op(t.get(field), value)


def order_key(orderby: str | None) -> tuple[Callable[[dict], object], bool]:
    """Sort key and reverse flag for `$orderby=Field [asc|desc]` (one field)."""
    if not orderby:
        return (lambda t: t["Id"]), False
    field, _, direction = orderby.strip().partition(" ")
    if field not in ("Id", "CreationTime", "LastModificationTime", "Title"):
        raise ApiError(400, INVALID + f"Cannot order by {field!r}.")
    return (lambda t: (t.get(field) or "", t["Id"])), direction.strip().lower() == "desc"
