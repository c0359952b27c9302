"""Business calendars, SLA policies, escalation rules, and each task's SLA state.

Validation (``clean``) names the field that is wrong; the admin and ``full_clean`` callers show
it next to that field. Rules that span models (a policy's calendar must have working hours) are
checked on the policy too, so a policy is refused at save rather than failing in the scanner.
"""

import zoneinfo
from datetime import time, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from inbox.models import Source, UserTask
from sla.durations import duration_words

WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def default_working_days() -> list[int]:
    return [0, 1, 2, 3, 4]


class BusinessCalendar(models.Model):
    """Working days and hours in one time zone, minus public holidays (the ``holidays``
    library, by country and optional subdivision) and extra closed days."""

    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="e.g. Europe/Berlin")
    working_days = models.JSONField(
        default=default_working_days,
        help_text="Weekday numbers, Monday = 0 ... Sunday = 6, e.g. [0, 1, 2, 3, 4].",
    )
    day_start = models.TimeField(default="09:00")
    day_end = models.TimeField(default="17:00")
    country = models.CharField(
        max_length=2,
        blank=True,
        help_text="ISO 3166 code for public holidays, e.g. DE; blank: none.",
    )
    subdivision = models.CharField(
        max_length=10, blank=True, help_text="Region for public holidays, e.g. BY; blank: national."
    )
    is_default = models.BooleanField(
        default=False, help_text="Used by policies that name no calendar."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="sla_one_default_calendar"
            )
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        try:
            zoneinfo.ZoneInfo(str(self.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            errors["time_zone"] = [f"Unknown time zone {self.time_zone!r}."]
        days = self.working_days
        if not isinstance(days, list) or any(
            not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days
        ):
            errors["working_days"] = ["A list of weekday numbers from 0 (Monday) to 6 (Sunday)."]
        elif not days:
            errors["working_days"] = ["A calendar needs at least one working day."]
        start, end = _as_time(self.day_start), _as_time(self.day_end)
        if start is not None and end is not None and end <= start:
            errors["day_end"] = ["The working day must end after it starts (no working hours)."]
        if self.country:
            import holidays

            self.country = self.country.upper()
            if self.country not in holidays.list_supported_countries():
                errors["country"] = [f"No public-holiday data for country {self.country!r}."]
            elif (
                self.subdivision
                and self.subdivision not in (holidays.list_supported_countries()[self.country])
            ):
                errors["subdivision"] = [f"{self.country} has no subdivision {self.subdivision!r}."]
        elif self.subdivision:
            errors["country"] = ["Name the country of the subdivision."]
        if errors:
            raise ValidationError(errors)

    @property
    def working_days_label(self) -> str:
        return ", ".join(WEEKDAYS[d] for d in sorted(self.working_days or []))


def _as_time(value):
    if isinstance(value, str):
        try:
            return time.fromisoformat(value)
        except ValueError:
            return None
    return value


class ExtraClosedDay(models.Model):
    """A day a calendar is closed beyond weekends and public holidays (a company holiday)."""

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="closed_days"
    )
    date = models.DateField()
    name = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="sla_closed_day_uniq")
        ]

    def __str__(self):
        return f"{self.date} {self.name}".strip()


class TimeBasis(models.TextChoices):
    BUSINESS = "business", "Business time (the calendar's working hours)"
    WALL = "wall", "Wall-clock time"


class SlaPolicy(models.Model):
    """Which tasks (task type, group, source: blank matches any) get which service levels.

    The most specific active policy wins (most criteria given), then the lowest ``order``.
    ``claim_within`` gives the follow-up ("start by") date, ``complete_within`` the due date;
    the engine's own due date wins when ``engine_due_wins``.
    """

    name = models.CharField(max_length=100, unique=True)
    active = models.BooleanField(default=True)
    order = models.IntegerField(
        default=100, help_text="Among equally specific policies, lowest wins."
    )
    task_type = models.CharField(max_length=255, blank=True, help_text="Blank: any task type.")
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: any group.",
    )
    source = models.ForeignKey(
        Source,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        help_text="Blank: any source.",
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="policies",
        help_text="Blank: the default calendar.",
    )
    time_basis = models.CharField(
        max_length=10, choices=TimeBasis.choices, default=TimeBasis.BUSINESS
    )
    claim_within = models.DurationField(null=True, blank=True, help_text="e.g. 2:00:00 for 2 hours")
    complete_within = models.DurationField(null=True, blank=True, help_text="e.g. 1 day, 0:00:00")
    engine_due_wins = models.BooleanField(
        default=True, help_text="Keep the due date the engine sends, when it sends one."
    )
    allow_delegation_outside_group = models.BooleanField(
        default=False, help_text="Holders may delegate these tasks to people outside the group."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name_plural = "SLA policies"

    def __str__(self):
        return self.name

    @property
    def specificity(self) -> int:
        return bool(self.task_type) + bool(self.group_id) + bool(self.source_id)

    def matches(self, task: UserTask) -> bool:
        return (
            self.active
            and (not self.task_type or self.task_type == task.task_type)
            and (not self.group_id or self.group_id == task.group_id)
            and (not self.source_id or self.source_id == task.source_id)
        )

    def clean(self):
        errors = {}
        for name in ("claim_within", "complete_within"):
            value = getattr(self, name)
            if value is not None and value <= timedelta(0):
                errors[name] = ["Must be a positive duration."]
        if self.time_basis == TimeBasis.BUSINESS:
            calendar = self.calendar if self.calendar_id else default_calendar()
            if calendar is None:
                errors["calendar"] = [
                    "Business time needs a calendar: choose one or mark a calendar as default."
                ]
            else:
                try:
                    calendar.clean()
                except ValidationError as exc:
                    errors["calendar"] = [
                        f"Calendar {calendar.name!r} is unusable: "
                        + "; ".join(m for ms in exc.message_dict.values() for m in ms)
                    ]
        if errors:
            raise ValidationError(errors)


def default_calendar() -> BusinessCalendar | None:
    return BusinessCalendar.objects.filter(is_default=True).first()


class Trigger(models.TextChoices):
    UNCLAIMED = "unclaimed", "Unclaimed for"
    BEFORE_DUE = "before_due", "Before the due date by"
    OVERDUE = "overdue", "Overdue by"


class EscalationRule(models.Model):
    """At a point in a task's life (unclaimed for X; Y before due; overdue by Z, in the
    policy's time basis) do one or more actions. Fires at most once per task."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=100, blank=True)
    trigger = models.CharField(max_length=12, choices=Trigger.choices)
    offset = models.DurationField(
        default=timedelta(0), help_text="X, Y or Z: how long (0 for the moment itself)."
    )
    notify_holder = models.BooleanField(default=False)
    notify_group = models.BooleanField(default=False)
    notify_users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    notify_manager_group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Its members are told (a team lead group).",
    )
    raise_priority = models.PositiveIntegerField(default=0, help_text="Add this to the priority.")
    return_to_group = models.BooleanField(default=False, help_text="Take it from its holder.")
    reassign_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reassign_group = models.ForeignKey(
        Group, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["policy", "id"]

    def __str__(self):
        return self.name or self.describe_trigger(business=True)

    def clean(self):
        errors = {}
        if self.offset is None or self.offset < timedelta(0):
            errors["offset"] = ["Must be zero or a positive duration."]
        if self.reassign_group_id and not Group.objects.filter(pk=self.reassign_group_id).exists():
            errors["reassign_group"] = ["That group no longer exists."]
        if self.reassign_user_id:
            from accounts.models import User

            user = User.objects.filter(pk=self.reassign_user_id).first()
            if user is None or not user.is_active:
                errors["reassign_user"] = ["That user no longer exists or is inactive."]
        if self.return_to_group and (self.reassign_user_id or self.reassign_group_id):
            errors["return_to_group"] = ["Either return to the group or reassign, not both."]
        if self.trigger == Trigger.UNCLAIMED and self.return_to_group:
            errors["return_to_group"] = ["An unclaimed task is already with its group."]
        if errors:
            raise ValidationError(errors)

    def describe_trigger(self, *, business: bool) -> str:
        amount = duration_words(self.offset, business=business)
        if self.trigger == Trigger.UNCLAIMED:
            return f"unclaimed {amount}"
        if self.trigger == Trigger.BEFORE_DUE:
            return f"{amount} before due" if self.offset else "due now"
        return f"overdue {amount}" if self.offset else "overdue"


class TaskSla(models.Model):
    """A task's service levels: one row per task a policy applies to (or that has an engine
    due date). ``next_escalation_at`` is the next moment the scanner must look at the task
    (indexed; null when nothing is left to fire), so a scan touches only due rows."""

    task = models.OneToOneField(
        UserTask, on_delete=models.CASCADE, primary_key=True, related_name="sla"
    )
    policy = models.ForeignKey(
        SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    engine_due_at = models.DateTimeField(null=True, blank=True)
    follow_up_at = models.DateTimeField(null=True, blank=True, help_text="Claim (start) by.")
    next_escalation_at = models.DateTimeField(null=True, blank=True)
    escalated = models.CharField(
        max_length=200, blank=True, help_text="The last escalation, in words."
    )

    class Meta:
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                name="sla_next_escalation_idx",
                condition=Q(next_escalation_at__isnull=False),
            )
        ]

    def __str__(self):
        return f"SLA of {self.task_id}"


class EscalationFiring(models.Model):
    """One rule fired for one task: unique, so nothing fires twice (also across workers)."""

    task = models.ForeignKey(UserTask, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="firings")
    fired_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(help_text="When the rule was due to fire.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "rule"], name="sla_firing_once")]

    def __str__(self):
        return f"rule {self.rule_id} on {self.task_id}"
