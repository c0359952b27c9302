"""Template helpers for service levels: a task's SLA state in words, a stage's engine SLA."""

from django import template

from sla.words import stage_sla_state, task_sla_lines

register = template.Library()


@register.inclusion_tag("sla/task_sla.html")
def task_sla(task):
    """The task page's SLA line: "claim within 2h · due in 3h" (one query)."""
    return {"lines": task_sla_lines(task)}


@register.filter
def stage_sla(stage):
    """A stage's engine SLA (UiPath count + unit) evaluated: limit, due time, state in words."""
    return stage_sla_state(stage.sla, stage.started_at, stage.ended_at)
