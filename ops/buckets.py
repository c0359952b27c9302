"""Bucket boundaries: durations (time to claim, time to complete) and ages of open tasks.

Durations are kept as histograms so days can be merged; a quantile is the upper bound of the
bucket holding the nearest-rank value (exact to the bucket, like Prometheus histograms).
"""

import math

MINUTE, HOUR, DAY = 60, 3600, 86400

# Upper bounds (seconds, inclusive) of the duration buckets; one more bucket holds the rest.
DURATION_BOUNDS = (
    MINUTE,
    5 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    4 * HOUR,
    8 * HOUR,
    DAY,
    2 * DAY,
    3 * DAY,
    7 * DAY,
    14 * DAY,
    30 * DAY,
)

# Ages of open tasks: (label, lower bound in seconds).
AGES = (
    ("under 1 day", 0),
    ("1–3 days", DAY),
    ("3–7 days", 3 * DAY),
    ("7–30 days", 7 * DAY),
    ("over 30 days", 30 * DAY),
)


def empty_histogram() -> list[int]:
    return [0] * (len(DURATION_BOUNDS) + 1)


def bucket_of(seconds: float) -> int:
    for index, bound in enumerate(DURATION_BOUNDS):
        if seconds <= bound:
            return index
    return len(DURATION_BOUNDS)


def merge(into: list[int], other: list[int]) -> list[int]:
    if not other:
        return into
    for index, count in enumerate(other):
        into[index] += count
    return into


def quantile(histogram: list[int], q: float) -> int | None:
    """The upper bound (seconds) of the bucket holding the nearest-rank ``q`` value.

    None when the histogram is empty; ``-1`` when the value lies beyond the last bound."""
    total = sum(histogram)
    if not total:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for index, count in enumerate(histogram):
        seen += count
        if seen >= rank:
            return DURATION_BOUNDS[index] if index < len(DURATION_BOUNDS) else -1
    return -1


def age_bucket(seconds: float) -> int:
    index = 0
    for i, (_, lower) in enumerate(AGES):
        if seconds >= lower:
            index = i
    return index


def describe_seconds(seconds: int | None) -> str:
    """``≤ 4 h`` style text for a quantile."""
    if seconds is None:
        return "–"
    if seconds < 0:
        return f"> {DURATION_BOUNDS[-1] // DAY} d"
    if seconds < HOUR:
        return f"≤ {seconds // MINUTE} min"
    if seconds < DAY:
        return f"≤ {seconds // HOUR} h"
    return f"≤ {seconds // DAY} d"
