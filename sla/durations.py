"""Durations in short words: "3h", "1d", "4 business hours". Pure functions."""

from datetime import timedelta

UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60))


def short(delta: timedelta) -> str:
    """``timedelta(hours=26)`` -> "1d" (the largest whole unit, like "3h", "25m", "2w")."""
    seconds = abs(int(delta.total_seconds()))
    for unit, size in UNITS:
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now" if seconds < 1 else f"{seconds}s"


def duration_words(delta: timedelta | None, *, business: bool) -> str:
    """``4:00:00`` in business time -> "4 business hours"; wall-clock -> "4 hours"."""
    seconds = int((delta or timedelta(0)).total_seconds())
    kind = "business " if business else ""
    for name, size in (("week", 7 * 86400), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = seconds // size
            if business and name in ("week", "day"):
                break  # a business day is not 24 hours: say the hours
            return f"{n} {kind}{name}{'s' if n != 1 else ''}"
    hours, rest = divmod(seconds, 3600)
    if hours and rest % 60 == 0:
        return f"{hours}h {rest // 60}m {kind}time".replace(" 0m", "")
    minutes = seconds // 60
    return f"{minutes} {kind}minute{'s' if minutes != 1 else ''}"
