"""Shared deterministic building blocks: people, groups, clocks, ids and paging tokens."""

from __future__ import annotations

import base64
import contextlib
import functools
import gc
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime

# Seeded data is dated relative to this instant so the same seed gives byte-identical data on any
# day; `--anchor today` moves it to the current UTC midnight for demos.
DEFAULT_ANCHOR = "2026-01-05T08:00:00Z"
DAY = 86400.0


@dataclass(frozen=True)
class Person:
    """A user known to every engine (matched by the inbox on email or username)."""

    username: str
    first: str
    last: str
    group: str | None
    uid: int  # numeric id (UiPath)
    guid: str  # string id (LittleHorse / Keycloak style)

    @property
    def email(self) -> str:
        return f"{self.username}@example.com"

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


GROUPS = ("finance", "support", "legal")
ADMIN = Person("admin", "Ada", "Admin", None, 10, "5b0c1d2e-0000-4000-8000-00000000000a")
PEOPLE = (
    ADMIN,
    Person("alice", "Alice", "Martin", "finance", 11, "5b0c1d2e-0000-4000-8000-0000000000a1"),
    Person("bob", "Bob", "Chen", "support", 12, "5b0c1d2e-0000-4000-8000-0000000000b0"),
    Person("carol", "Carol", "Diaz", "legal", 13, "5b0c1d2e-0000-4000-8000-0000000000c0"),
    # Not an inbox user: exercises the inbox's "unknown upstream user" path.
    Person("dave", "Dave", "Okafor", None, 14, "5b0c1d2e-0000-4000-8000-0000000000d0"),
)
BY_USERNAME = {p.username: p for p in PEOPLE}
STAFF = PEOPLE[1:4]
CUSTOMERS = (
    "Acme Corp",
    "Globex",
    "Initech",
    "Umbrella Health",
    "Stark Logistics",
    "Wayne Foods",
    "Hooli",
    "Vandelay Imports",
    "Soylent Ltd",
    "Tyrell Systems",
)


_HOME = {p.group: p for p in STAFF}


def member_of(group: str) -> Person:
    """The staff member whose home group is `group`."""
    return _HOME[group]


def find_person(value: object) -> Person | None:
    """A person by username, email, numeric id or string id."""
    for p in PEOPLE:
        if value in (p.username, p.email, p.uid, str(p.uid), p.guid):
            return p
    return None


def rng_for(seed: int, engine: str) -> random.Random:
    """An independent, reproducible random stream per engine."""
    return random.Random(f"{seed}:{engine}")


def uuid4(rng: random.Random) -> str:
    """A version-4 UUID string from the seeded stream (formatted by hand: this runs 10^5 times)."""
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


@contextlib.contextmanager
def bulk():
    """Pause the cyclic GC while generating many small dicts (it would rescan them repeatedly)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def hex32(rng: random.Random) -> str:
    return f"{rng.getrandbits(128):032x}"


def parse_anchor(value: str | None) -> float:
    if value in (None, ""):
        value = DEFAULT_ANCHOR
    if value == "today":
        now = time.time()
        return now - now % DAY
    return parse_iso(value)


def now() -> float:
    return time.time()


@functools.lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(days * 86400))


@functools.cache
def _clock() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Every `HH:MM:SS.` of a day and every `mmmZ`: formatting becomes two lookups."""
    hms = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}." for s in range(86400))
    return hms, tuple(f"{ms:03d}Z" for ms in range(1000))


def iso_ms(ts: float | None) -> str | None:
    """`2026-01-05T08:00:00.000Z` (millisecond UTC, the JavaScript toISOString format)."""
    if ts is None:
        return None
    days, ms = divmod(int(ts * 1000), 86_400_000)
    hms, millis = _clock()
    return _day(days) + hms[ms // 1000] + millis[ms % 1000]


def iso_s(ts: float | None) -> str | None:
    """`2026-01-05T08:00:00Z` (second precision)."""
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def parse_iso(value: str) -> float:
    """Seconds since the epoch from an ISO 8601 string; naive values are UTC. Raises ValueError."""
    dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def encode_token(obj: object) -> str:
    """An opaque paging token (base64 of JSON)."""
    return base64.urlsafe_b64encode(json.dumps(obj, separators=(",", ":")).encode()).decode()


def decode_token(token: str) -> object:
    """Inverse of encode_token; raises ValueError on anything it did not produce."""
    try:
        padded = token + "=" * (-len(token) % 4)
        return json.loads(base64.urlsafe_b64decode(padded.encode()))
    except Exception as exc:  # noqa: BLE001 - any decoding problem is a bad token
        raise ValueError("bad token") from exc
