"""Strict parsing of untrusted input, shared by the web pages, the API and the LittleHorse routes.

Everything a client sends goes through one of these before it reaches a query or the database:

- ``parse_int``: ASCII digits only. ``"²".isdigit()`` and ``"①".isdigit()`` are true but
  ``int()`` refuses them, and ``int("٣")`` accepts Arabic-Indic digits: neither is an id.
- ``text_problem`` / ``clean_text``: NUL characters (PostgreSQL cannot store them) and lone
  surrogates (no UTF-8 encoding, so psycopg cannot send them) are refused.
- ``loads_json`` / ``check_json``: JSON with a fixed nesting limit and finite numbers only
  (``1e309`` parses as ``inf``, which neither PostgreSQL's jsonb nor JSON itself can hold).
- ``find_problem``: walks any parsed value (dicts, lists, strings, numbers) without recursion and
  names the first problem with its path, e.g. ``context.a[2]``.

Each raises ``inbox.errors.ValidationError`` (400, per-field messages) naming the field. Pure
functions: no database, no Django request objects.
"""

import json
import math
import re
from typing import Any

from inbox.errors import ValidationError

MAX_DEPTH = 64  # containers nested deeper than this are refused
MAX_INT = 2**63 - 1  # PostgreSQL bigint; ids and sizes beyond it are never valid

_ASCII_INT = re.compile(r"\A\s*\+?([0-9]{1,19})\s*\Z")
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_ascii_int(raw: Any) -> bool:
    """True for a whole number 0..MAX_INT in ASCII digits (``"12"``, not ``"²"`` or ``"٣"``),
    or such an int."""
    if _plain_int(raw):
        return True
    match = _ASCII_INT.match(raw) if isinstance(raw, str) else None
    return bool(match) and int(match.group(1)) <= MAX_INT


def _plain_int(raw: Any) -> bool:
    return isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_INT


def parse_int(
    raw: Any,
    *,
    field: str,
    minimum: int = 0,
    maximum: int = MAX_INT,
    message: str | None = None,
) -> int:
    """``raw`` (text of ASCII digits, or an int) as an int in ``minimum..maximum``; else a
    ValidationError on ``field``."""
    value: int | None = None
    if _plain_int(raw):
        value = raw
    elif isinstance(raw, str):
        match = _ASCII_INT.match(raw)
        if match:
            value = int(match.group(1))
    if value is None or not minimum <= value <= maximum:
        if message is None:
            message = (
                f"Must be a whole number from {minimum} to {maximum}."
                if maximum < MAX_INT
                else f"Must be a whole number (ASCII digits) of at least {minimum}."
            )
        raise ValidationError(f"Invalid {field}", fields={field: [message]})
    return value


def parse_id(raw: Any, *, field: str, what: str = "id") -> int:
    """A positive database id; else a ValidationError saying ``Must be a <what>.``"""
    return parse_int(raw, field=field, minimum=1, message=f"Must be a {what} (digits 0-9).")


def text_problem(value: str) -> str | None:
    """Why ``value`` cannot be stored as text, or None."""
    if "\x00" in value:
        return "Contains a NUL character."
    if _SURROGATE.search(value):
        return "Contains invalid Unicode (a lone surrogate)."
    return None


def clean_text(value: Any, *, field: str) -> str:
    """``value`` as text that PostgreSQL can store; else a ValidationError on ``field``."""
    text = "" if value is None else str(value)
    problem = text_problem(text)
    if problem:
        raise ValidationError(f"Invalid {field}", fields={field: [problem]})
    return text


def find_problem(value: Any, *, max_depth: int = MAX_DEPTH) -> tuple[str, str] | None:
    """The first ``(path, problem)`` in a parsed JSON-like value: NUL or lone surrogates in a
    string or key, a non-finite number, nesting deeper than ``max_depth``. Iterative, so a
    hostile value cannot exhaust the stack."""
    stack: list[tuple[Any, str, int]] = [(value, "", 0)]
    while stack:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return path or "(body)", f"Nested deeper than {max_depth} levels."
            if isinstance(item, dict):
                for key, child in item.items():
                    key_text = str(key)
                    problem = text_problem(key_text)
                    child_path = f"{path}.{key_text}" if path else key_text
                    if problem:
                        return _printable(child_path), f"Key {problem[0].lower()}{problem[1:]}"
                    stack.append((child, child_path, depth + 1))
            else:
                for index, child in enumerate(item):
                    stack.append((child, f"{path}[{index}]", depth + 1))
        elif isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return _printable(path) or "(body)", problem
        elif isinstance(item, float) and not math.isfinite(item):
            return path or "(body)", "Numbers must be finite (no NaN or Infinity)."
    return None


def _printable(path: str) -> str:
    return path.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def check_json(value: Any, *, field: str | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """``value`` unchanged when storable; else a ValidationError naming the bad spot."""
    found = find_problem(value, max_depth=max_depth)
    if found:
        path, problem = found
        if field:
            path = f"{field}.{path}" if path != "(body)" else field
        raise ValidationError(f"Invalid {path}", fields={path: [problem]})
    return value


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large to be a finite number")
    return number


def loads_json(text: str | bytes, *, field: str | None = None, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON strictly: finite numbers, nesting up to ``max_depth``, storable strings.
    Raises ValidationError on ``field`` (or ``body``) with a message saying what was wrong."""
    name = field or "body"
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError(f"Invalid {name}", fields={name: ["Not valid UTF-8."]}) from None
    if _nesting(text, max_depth) > max_depth:
        raise ValidationError(
            f"Invalid {name}", fields={name: [f"Nested deeper than {max_depth} levels."]}
        )
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(
            f"Invalid {name}", fields={name: [f"Not valid JSON: {exc}."]}
        ) from None
    return check_json(value, field=field, max_depth=max_depth)


def _nesting(text: str, max_depth: int) -> int:
    """The deepest bracket nesting outside strings: a linear pre-check so that ``json.loads``
    never recurses into a hostile depth."""
    if text.count("[") + text.count("{") <= max_depth:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest
