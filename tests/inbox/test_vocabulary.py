"""Engine words become people's words in one place (inbox/vocabulary.py)."""

from types import SimpleNamespace

import pytest
from django.template import Context, Template

from inbox import vocabulary


@pytest.mark.parametrize("raw", ["InProgress", "Not Started", "inprogress", "in_progress"])
def test_stage_statuses_spelled_any_way_read_the_same(raw):
    assert vocabulary.state(raw) in ("In progress", "Not started")
    assert vocabulary.state("InProgress") == vocabulary.state("inprogress") == "In progress"
    assert vocabulary.state_class("InProgress") == "in-progress"


def test_types_keys_and_names_are_words():
    assert vocabulary.field_type("STRING") == "Text"
    assert vocabulary.field_type("DOUBLE") == "Number"
    assert vocabulary.field_type("INTEGER") == "Whole number"
    assert vocabulary.key("uipath_key") == "UiPath key"
    assert vocabulary.key("customerId") == "Customer ID"
    assert vocabulary.task_type("await-callback") == "Waiting for a reply"
    assert vocabulary.task_type("approvals: manager-approval") == "Approvals: manager approval"
    assert vocabulary.words("Invoice 42 for ACME") == "Invoice 42 for ACME"  # a person's words stay
    assert vocabulary.state("brand-new-state") == "Brand new state"  # unknown: shown, readable


def test_cases_are_called_by_name_never_by_a_bare_uuid():
    lh = SimpleNamespace(
        name="approve-expense · approve-expense-d9f189a9edc3", external_id="x", process_key=""
    )
    assert vocabulary.case(lh) == "Approve expense #d9f189a9"
    started = SimpleNamespace(
        name="3f2a9c1e-1111-2222-3333-444455556666",
        external_id="3f2a9c1e-1111-2222-3333-444455556666",
        process_key="loan-approval",
    )
    assert vocabulary.case(started) == "Loan approval #3f2a9c1e"


def test_templates_use_the_say_filter_and_unknown_kinds_are_refused():
    html = Template('{% load inbox_ui %}{{ s|say:"state" }}/{{ t|say:"field_type" }}').render(
        Context({"s": "Not Started", "t": "BOOLEAN"})
    )
    assert html == "Not started/Yes / No"
    with pytest.raises(ValueError, match="unknown vocabulary kind"):
        vocabulary.say("x", "colour")
