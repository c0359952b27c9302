"""Business-time arithmetic on a BusinessCalendar: shift a moment by working time.

Pure functions over a loaded calendar (``Clock``); the only queries are the calendar's extra
closed days, read once when the clock is made. Public holidays come from the ``holidays``
library by country and subdivision, expanded year by year as they are needed.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from sla.models import BusinessCalendar, TimeBasis

MAX_DAYS = 3 * 366  # a shift that finds no working time within this many days is refused


class NoWorkingTime(ValueError):
    """The calendar has no working time left in which to count the duration."""


class Clock:
    """Counts durations in one policy's time basis: wall-clock, or a calendar's working hours."""

    def __init__(self, calendar: BusinessCalendar | None, basis: str = TimeBasis.BUSINESS):
        self.business = basis == TimeBasis.BUSINESS and calendar is not None
        self.calendar = calendar
        if not self.business:
            return
        self.zone = zoneinfo.ZoneInfo(calendar.time_zone)
        self.days = frozenset(calendar.working_days or [])
        self.start, self.end = calendar.day_start, calendar.day_end
        if isinstance(self.start, str):
            self.start = time.fromisoformat(self.start)
        if isinstance(self.end, str):
            self.end = time.fromisoformat(self.end)
        self.closed = (
            set(calendar.closed_days.values_list("date", flat=True)) if calendar.pk else set()
        )
        self.public = None
        if calendar.country:
            import holidays

            self.public = holidays.country_holidays(
                calendar.country, subdiv=calendar.subdivision or None
            )

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() in self.days
            and day not in self.closed
            and (self.public is None or day not in self.public)
        )

    def _hours(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, tzinfo=self.zone),
            datetime.combine(day, self.end, tzinfo=self.zone),
        )

    def shift(self, moment: datetime, amount: timedelta) -> datetime:
        """``moment`` moved by ``amount`` of working time (backwards when negative)."""
        if not self.business:
            return moment + amount
        if amount >= timedelta(0):
            return self._forward(moment, amount)
        return self._backward(moment, -amount)

    def _forward(self, moment: datetime, left: timedelta) -> datetime:
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                begin = max(opens, local)
                if begin < closes:
                    if begin + left <= closes:
                        return (begin + left).astimezone(UTC)
                    left -= closes - begin
            day += timedelta(days=1)
        raise NoWorkingTime(f"Calendar {self.calendar} has no working time ahead of {moment}.")

    def _backward(self, moment: datetime, left: timedelta) -> datetime:
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(MAX_DAYS):
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                end = min(closes, local)
                if opens < end:
                    if end - left >= opens:
                        return (end - left).astimezone(UTC)
                    left -= end - opens
            day -= timedelta(days=1)
        raise NoWorkingTime(f"Calendar {self.calendar} has no working time before {moment}.")

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from ``start`` to ``end`` (negative when ``end`` comes first)."""
        if not self.business:
            return end - start
        if end < start:
            return -self.between(end, start)
        total = timedelta(0)
        a, b = start.astimezone(self.zone), end.astimezone(self.zone)
        day = a.date()
        while day <= b.date():
            if self.is_working_day(day):
                opens, closes = self._hours(day)
                lo, hi = max(opens, a), min(closes, b)
                if lo < hi:
                    total += hi - lo
            day += timedelta(days=1)
        return total
