"""Engine vocabulary -> words people read. The one place that maps what the engines say (states,
task and field types, context keys, engine names) to the wording the UI shows.

Pure functions of their input (no database, no settings): templates use them through the
``say`` filter (``{{ stage.status|say:"state" }}``); views and lifecycle messages may call them
directly. An unknown value is still made readable (``awaitCallback`` -> "Await callback"), never
hidden, so an engine's new word shows up as itself rather than as nothing.
"""

import functools
import re

# Engines and vendor words whose spelling matters.
PROPER = {
    "uipath": "UiPath",
    "docusign": "DocuSign",
    "cloudflare": "Cloudflare",
    "littlehorse": "LittleHorse",
    "lh": "LittleHorse",
    "wf": "workflow",
    "id": "ID",
    "ids": "IDs",
    "url": "URL",
    "uuid": "UUID",
    "sla": "SLA",
    "api": "API",
    "pdf": "PDF",
    "eur": "EUR",
    "usd": "USD",
}

# Every engine's spelling of a state -> one word. Keys are normalised (lowercase, no separators).
STATES = {
    "notstarted": "Not started",
    "pending": "Pending",
    "new": "New",
    "queued": "Queued",
    "created": "Created",
    "sent": "Sent",
    "delivered": "Delivered",
    "inprogress": "In progress",
    "running": "Running",
    "active": "Active",
    "started": "Started",
    "waiting": "Waiting",
    "waitingforinput": "Waiting for input",
    "awaitcallback": "Waiting for a reply",
    "awaitingcallback": "Waiting for a reply",
    "suspended": "Paused",
    "paused": "Paused",
    "halted": "Paused",
    "halting": "Pausing",
    "resuming": "Resuming",
    "completed": "Completed",
    "complete": "Completed",
    "done": "Done",
    "success": "Completed",
    "successful": "Completed",
    "signed": "Signed",
    "succeeded": "Completed",
    "finished": "Completed",
    "failed": "Failed",
    "faulted": "Failed",
    "error": "Failed",
    "errored": "Failed",
    "exception": "Failed",
    "cancelled": "Cancelled",
    "canceled": "Cancelled",
    "terminated": "Stopped",
    "stopped": "Stopped",
    "stopping": "Stopping",
    "voided": "Voided",
    "declined": "Declined",
    "unassigned": "Open",
    "assigned": "Assigned",
    "skipped": "Skipped",
}

# Field types of a task's form.
FIELD_TYPES = {
    "STRING": "Text",
    "STR": "Text",
    "INTEGER": "Whole number",
    "INT": "Whole number",
    "DOUBLE": "Number",
    "FLOAT": "Number",
    "DECIMAL": "Number",
    "BOOLEAN": "Yes / No",
    "BOOL": "Yes / No",
    "DATE": "Date",
    "DATETIME": "Date and time",
    "JSON": "Structured data",
}

# Engine task kinds / step kinds that read badly when only humanised.
TYPES = {
    "await-callback": "Waiting for a reply",
    "await_callback": "Waiting for a reply",
    "awaitcallback": "Waiting for a reply",
    "user-task": "Human task",
    "usertask": "Human task",
    "event": "Event",
    "do": "Step",
    "sleep": "Wait",
    "waitforevent": "Wait for an event",
    "wait-for-event": "Wait for an event",
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[\s_\-.:/]+")
_MACHINE_ID = re.compile(
    r"^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|[0-9a-f]{16,}|\d{6,})$",
    re.I,
)
_HEX_TAIL = re.compile(r"[-_ ]?[0-9a-f]{8,}$", re.IGNORECASE)


def _key(value) -> str:
    return re.sub(r"[\s_\-]+", "", str(value)).lower()


def words(value) -> str:
    """``uipath_key`` -> "UiPath key", ``approveExpense`` -> "Approve expense"."""
    text = str(value or "").strip()
    if not text:
        return ""
    if " " in text:  # already written by a person: keep their words, only the first capital
        return text[:1].upper() + text[1:]
    parts = [p for p in _SEPARATORS.split(_CAMEL.sub(" ", text)) if p]
    out = []
    for part in parts:
        proper = PROPER.get(part.lower())
        out.append(proper or (part if part.isupper() and len(part) > 1 else part.lower()))
    sentence = " ".join(out)
    return sentence[:1].upper() + sentence[1:]


def state(value) -> str:
    """Any engine's state ('InProgress', 'Not Started', 'inprogress', 'FAULTED') -> one word."""
    if value in (None, ""):
        return ""
    return STATES.get(_key(value)) or words(value)


def state_class(value) -> str:
    """A stable CSS-friendly name for a state: 'InProgress' and 'inprogress' -> 'in-progress'."""
    return state(value).lower().replace(" ", "-")


def field_type(value) -> str:
    """A form field's type: STRING -> 'Text', DOUBLE -> 'Number'."""
    if not value:
        return ""
    return FIELD_TYPES.get(str(value).upper()) or words(value)


def task_type(value) -> str:
    """An engine's task or step type: 'await-callback' -> 'Waiting for a reply',
    'approvals: manager-approval' -> 'Approvals: manager approval'."""
    return _task_type(str(value or "").strip())


@functools.lru_cache(maxsize=2048)
def _task_type(text: str) -> str:
    """``task_type`` of a stripped string, remembered: a list page says the type of each of
    its 50 rows, and a few dozen types cover most of them."""
    if not text:
        return ""
    known = TYPES.get(text.lower()) or TYPES.get(_key(text))
    if known:
        return known
    if ":" in text:
        head, _, tail = text.partition(":")
        return f"{words(head)}: {words(tail).lower()}" if tail.strip() else words(head)
    return words(text)


def key(value) -> str:
    """A context / variable key: 'uipath_key' -> 'UiPath key', 'customerId' -> 'Customer ID'."""
    return words(value)


def is_machine_id(value) -> bool:
    """A UUID or a long hex/number id: something no person would call a thing by."""
    text = str(value or "").strip()
    return bool(_MACHINE_ID.match(text))


def name(value) -> str:
    """An engine-made name: drops a trailing random id ('approve-expense-d9f189a9edc3' ->
    'Approve expense') and a repeated 'x · x-…' prefix; a bare machine id -> ''."""
    text = str(value or "").strip()
    if not text or is_machine_id(text):
        return ""
    if " · " in text:
        head, _, tail = text.partition(" · ")
        if _HEX_TAIL.sub("", tail) == head or tail.startswith(head):
            text = head
    stripped = _HEX_TAIL.sub("", text)
    return words(stripped or text)


def case(value) -> str:
    """A case (anything with name, process_key, external_id) as people call it: its readable
    name, else its process in words with a short id ('Approve expense #d9f189a9')."""
    raw = str(getattr(value, "name", "") or "")
    readable = name(raw)
    if readable:
        # 'approve-expense · approve-expense-d9f189a9edc3': the words, and the id's head to
        # tell this one from its siblings
        tail = _HEX_TAIL.search(raw)
        return f"{readable} #{tail.group(0).lstrip('-_ ')[:8]}" if tail else readable
    external_id = str(getattr(value, "external_id", "") or "")
    process = words(getattr(value, "process_key", "") or "")
    short = external_id.replace("-", "")[:8]
    if process:
        return f"{process} #{short}" if short else process
    return external_id or str(value or "")


KINDS = {
    "case": case,
    "state": state,
    "state_class": state_class,
    "field_type": field_type,
    "type": task_type,
    "key": key,
    "name": name,
    "words": words,
}


def say(value, kind: str = "words") -> str:
    """The template filter's entry point: ``say(value, kind)`` with kind one of ``KINDS``."""
    try:
        return KINDS[kind](value)
    except KeyError:
        raise ValueError(f"unknown vocabulary kind {kind!r}; one of {', '.join(KINDS)}") from None
