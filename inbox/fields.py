"""Typed form fields of a task, and the one validator of submitted results.

A field definition is ``{name, display_name, description, type, required}`` with type STRING,
INTEGER, DOUBLE or BOOLEAN. ``validate_results`` turns submitted values (raw values, form
strings, or LittleHorse-style ``{type, value}`` objects) into ``{name: {type, value}}`` or raises
``ValidationError`` with one message per bad field. The web form and the API both call it.
"""

import math
import re
from typing import Any

from django.conf import settings

from inbox.errors import ValidationError

FIELD_TYPES = ("STRING", "INTEGER", "DOUBLE", "BOOLEAN")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
# 64-bit, as the engines store it.
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1


def validate_field_definitions(definitions: Any) -> list[dict]:
    """Normalise a task's field definitions, or raise ValidationError naming each bad entry."""
    if definitions in (None, ""):
        return []
    if not isinstance(definitions, list):
        raise ValidationError(
            "fields must be a list", fields={"fields": ["Expected a list of field definitions."]}
        )
    errors: dict[str, list[str]] = {}
    normalised: list[dict] = []
    seen: set[str] = set()
    for index, item in enumerate(definitions):
        key = f"fields[{index}]"
        if not isinstance(item, dict):
            errors[key] = ["Expected an object with name and type."]
            continue
        name = item.get("name")
        field_type = str(item.get("type", "STRING")).upper()
        problems = []
        if not isinstance(name, str) or not _NAME_RE.match(name):
            problems.append("name must start with a letter or _ and use letters, digits, _ . -")
        elif name in seen:
            problems.append(f"duplicate field name {name!r}")
        if field_type not in FIELD_TYPES:
            problems.append(f"type must be one of {', '.join(FIELD_TYPES)}")
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.append("required must be true or false")
        if problems:
            errors[key] = problems
            continue
        seen.add(name)
        normalised.append(
            {
                "name": name,
                "display_name": str(item.get("display_name") or item.get("displayName") or name),
                "description": str(item.get("description") or ""),
                "type": field_type,
                "required": required,
            }
        )
    if errors:
        raise ValidationError("Invalid field definitions", fields=errors)
    return normalised


def _coerce(field_type: str, value: Any) -> Any:
    """Return ``value`` as ``field_type`` or raise ValueError with a user-facing message."""
    if field_type == "STRING":
        if not isinstance(value, str):
            raise ValueError("Must be text.")
        limit = settings.INBOX_STRING_MAX_LENGTH
        if len(value) > limit:
            raise ValueError(f"Must be at most {limit} characters (got {len(value)}).")
        return value
    if field_type == "BOOLEAN":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise ValueError("Must be true or false.")
    if field_type == "INTEGER":
        if isinstance(value, bool):
            raise ValueError("Must be a whole number.")
        if isinstance(value, int):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and _INTEGER_RE.match(value.strip()):
            number = int(value.strip())
        else:
            raise ValueError("Must be a whole number.")
        if not _INT_MIN <= number <= _INT_MAX:
            raise ValueError("Is out of range for a 64-bit integer.")
        return number
    if field_type == "DOUBLE":
        if isinstance(value, bool):
            raise ValueError("Must be a number.")
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            try:
                number = float(value.strip())
            except ValueError:
                raise ValueError("Must be a number.") from None
        else:
            raise ValueError("Must be a number.")
        if not math.isfinite(number):
            raise ValueError("Must be a finite number.")
        return number
    raise ValueError(f"Has an unsupported type {field_type}.")


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def validate_results(definitions: list[dict], submitted: Any) -> dict[str, dict]:
    """Validate ``submitted`` against ``definitions``; return ``{name: {type, value}}``.

    Blank values count as absent, so an optional field may be left empty. Raises
    ValidationError with one message list per bad field name.
    """
    if submitted is None:
        submitted = {}
    if not isinstance(submitted, dict):
        raise ValidationError(
            "results must be an object", fields={"results": ["Expected an object of values."]}
        )
    by_name = {field["name"]: field for field in definitions}
    errors: dict[str, list[str]] = {}
    results: dict[str, dict] = {}
    for name in submitted:
        if name not in by_name:
            errors[name] = ["Unknown field."]
    for name, field in by_name.items():
        field_type = field["type"]
        raw = submitted.get(name)
        if isinstance(raw, dict):
            declared = raw.get("type")
            declared_type = "STRING" if str(declared).upper() == "STR" else str(declared).upper()
            if declared is not None and declared_type != field_type:
                errors[name] = [f"Has type {declared}, expected {field_type}."]
                continue
            raw = raw.get("value")
        if _is_blank(raw):
            if field.get("required"):
                errors[name] = ["This field is required."]
            continue
        try:
            results[name] = {"type": field_type, "value": _coerce(field_type, raw)}
        except ValueError as exc:
            errors[name] = [str(exc)]
    if errors:
        raise ValidationError("Some values are invalid", fields=errors)
    return results
