import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inbox.errors import ValidationError
from inbox.fields import validate_field_definitions, validate_results

FIELDS = [
    {"name": "approved", "type": "BOOLEAN", "required": True},
    {"name": "amount", "type": "DOUBLE", "required": False},
    {"name": "count", "type": "INTEGER", "required": False},
    {"name": "note", "type": "STRING", "required": False},
]
DEFS = validate_field_definitions(FIELDS)


def errors_for(submitted):
    with pytest.raises(ValidationError) as exc:
        validate_results(DEFS, submitted)
    return exc.value.fields


def test_it_returns_typed_results():
    results = validate_results(
        DEFS, {"approved": True, "amount": "12.5", "count": "3", "note": "ok"}
    )
    assert results == {
        "approved": {"type": "BOOLEAN", "value": True},
        "amount": {"type": "DOUBLE", "value": 12.5},
        "count": {"type": "INTEGER", "value": 3},
        "note": {"type": "STRING", "value": "ok"},
    }


def test_it_accepts_littlehorse_typed_values():
    results = validate_results(
        DEFS,
        {"approved": {"type": "BOOLEAN", "value": False}, "note": {"type": "STR", "value": "x"}},
    )
    assert results["approved"]["value"] is False
    assert results["note"]["value"] == "x"


def test_it_reports_a_missing_required_field():
    assert errors_for({}) == {"approved": ["This field is required."]}


@pytest.mark.parametrize("value", [1.5, "abc", "1.5", True, [1]])
def test_it_rejects_non_integers(value):
    assert "count" in errors_for({"approved": True, "count": value})


@pytest.mark.parametrize("value", ["abc", "nan", "inf", math.nan, math.inf, -math.inf, False])
def test_it_rejects_bad_doubles(value):
    assert "amount" in errors_for({"approved": True, "amount": value})


@pytest.mark.parametrize("value", ["yes", 1, 0, "on"])
def test_booleans_are_true_or_false_only(value):
    assert errors_for({"approved": value}) == {"approved": ["Must be true or false."]}


def test_it_rejects_unknown_fields_and_wrong_declared_types():
    errors = errors_for({"approved": {"type": "INTEGER", "value": 1}, "bogus": 1})
    assert errors["bogus"] == ["Unknown field."]
    assert "expected BOOLEAN" in errors["approved"][0]


def test_it_bounds_string_length(settings):
    settings.INBOX_STRING_MAX_LENGTH = 5
    assert "at most 5" in errors_for({"approved": True, "note": "x" * 6})["note"][0]


def test_it_reports_every_bad_field_at_once():
    errors = errors_for({"amount": "x", "count": 1.5})
    assert set(errors) == {"approved", "amount", "count"}


def test_blank_optional_fields_are_left_out():
    assert validate_results(DEFS, {"approved": "false", "note": "  ", "count": ""}) == {
        "approved": {"type": "BOOLEAN", "value": False}
    }


def test_field_definitions_are_checked():
    with pytest.raises(ValidationError) as exc:
        validate_field_definitions(
            [{"name": "a", "type": "TEXT"}, {"name": "1x"}, {"name": "a", "type": "STRING"}]
        )
    assert set(exc.value.fields) == {"fields[0]", "fields[1]"}
    with pytest.raises(ValidationError):
        validate_field_definitions([{"name": "a", "type": "STRING"}, {"name": "a"}])


values = {
    "BOOLEAN": st.booleans(),
    "INTEGER": st.integers(min_value=-(2**63), max_value=2**63 - 1),
    "DOUBLE": st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(10**15), 10**15),
    "STRING": st.text(min_size=1, max_size=200).filter(lambda s: s.strip()),
}


@given(
    approved=values["BOOLEAN"],
    amount=values["DOUBLE"],
    count=values["INTEGER"],
    note=values["STRING"],
)
def test_accepted_values_round_trip_through_stored_json(approved, amount, count, note):
    results = validate_results(
        DEFS, {"approved": approved, "amount": amount, "count": count, "note": note}
    )
    stored = json.loads(json.dumps(results))
    assert stored == results
    # Storing and validating again gives the same results (the form re-renders stored values).
    assert validate_results(DEFS, stored) == results
