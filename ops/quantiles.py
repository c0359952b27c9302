"""Durations (time to claim, time to complete) as mergeable log-scaled sketches.

A day's rollup keeps, per dimension cell, a sparse count of durations per logarithmic bin (the
DDSketch idea): a duration of ``d`` seconds, ``d >= 1``, is counted in bin
``k = ceil(log(d) / log(GAMMA))``, which holds ``(GAMMA**(k-1), GAMMA**k]``, with
``GAMMA = (1 + ALPHA) / (1 - ALPHA)``. A bin's representative ``2 * GAMMA**k / (GAMMA + 1)`` is
within ``ALPHA`` (1 %) of every duration in it, relative. Durations under one second (and
negative ones, from clock skew) share the bin ``"z"``, reported as 0 s.

Sketches of days, groups, types and sources merge by adding counts, so the dashboard combines
any window and filter without reading the task table.

``quantile`` answers like PostgreSQL's ``percentile_disc`` (the nearest-rank value: the
``ceil(q * n)``-th smallest duration) to within the stated bound: the answer is within 1 % of
that exact duration, or under 1 s away when it is below 1 s (``ERROR_BOUND``). A day with durations
from a second to a year uses at most ~830 bins; real days use far fewer.

Stored as JSON objects ``{"bin": count}`` (keys are strings in JSON).
"""

import math
from collections.abc import Iterable, Mapping

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
ZERO_BIN = "z"
ERROR_BOUND = "within 1 % (or 1 second)"


def bin_of(seconds: float) -> str:
    if seconds < 1:
        return ZERO_BIN
    return str(math.ceil(math.log(seconds) / _LOG_GAMMA))


def representative(key: str) -> float:
    if key == ZERO_BIN:
        return 0.0
    return 2 * GAMMA ** int(key) / (GAMMA + 1)


def add(sketch: dict[str, int], seconds: float) -> None:
    key = bin_of(seconds)
    sketch[key] = sketch.get(key, 0) + 1


def merge(into: dict[str, int], other: Mapping[str, int] | None) -> dict[str, int]:
    if other:
        for key, count in other.items():
            into[key] = into.get(key, 0) + count
    return into


def _order(key: str) -> float:
    return -math.inf if key == ZERO_BIN else int(key)


def quantiles(sketch: Mapping[str, int], qs: Iterable[float]) -> list[int | None]:
    """The nearest-rank ``q`` durations (whole seconds) of ``sketch``; None when it is empty."""
    total = sum(sketch.values())
    qs = list(qs)
    if not total:
        return [None] * len(qs)
    ordered = sorted(sketch.items(), key=lambda item: _order(item[0]))
    result = []
    for q in qs:
        rank = min(total, max(1, math.ceil(q * total)))  # as percentile_disc
        seen = 0
        for key, count in ordered:
            seen += count
            if seen >= rank:
                result.append(round(representative(key)))
                break
    return result


def count(sketch: Mapping[str, int]) -> int:
    return sum(sketch.values())


def describe_seconds(seconds: int | None) -> str:
    """``4 h 12 min`` style text for a quantile (two units at most)."""
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if minutes < 10 and secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
