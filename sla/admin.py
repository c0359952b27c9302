"""Admins edit calendars, closed days, policies and their escalation rules in the Django admin.

Model ``clean`` methods name the wrong field; saving a policy (with its rules) recomputes the
open tasks it concerns after the commit (``sla.receivers``)."""

from django.contrib import admin

from sla.models import BusinessCalendar, EscalationRule, ExtraClosedDay, SlaPolicy


class ExtraClosedDayInline(admin.TabularInline):
    model = ExtraClosedDay
    extra = 1


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "time_zone",
        "working_days_label",
        "day_start",
        "day_end",
        "country",
        "subdivision",
        "is_default",
    ]
    inlines = [ExtraClosedDayInline]


class EscalationRuleInline(admin.StackedInline):
    model = EscalationRule
    extra = 0
    filter_horizontal = ["notify_users"]
    autocomplete_fields = []


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "active",
        "task_type",
        "group",
        "source",
        "time_basis",
        "claim_within",
        "complete_within",
        "engine_due_wins",
        "order",
    ]
    list_filter = ["active", "time_basis"]
    inlines = [EscalationRuleInline]
