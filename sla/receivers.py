"""Signal receivers: the lifecycle's ``tasks_touched`` (new tasks, engine changes) and saves of
policies, rules and calendars (recompute the open tasks they concern, after the commit)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from inbox import dispatch
from sla import policies
from sla.models import BusinessCalendar, EscalationRule, ExtraClosedDay, SlaPolicy

RECOMPUTE = "sla.tasks.recompute"


def apply_policies(sender, tasks, engine_due=False, created=False, **kwargs):
    policies.apply_to_tasks(tasks, engine_due=engine_due, created=created)


def _schedule(policy_ids) -> None:
    """Recompute once per transaction, after it commits, for all the policies it touched."""
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        dispatch.send(RECOMPUTE, sorted(set(policy_ids)))
        return
    if not any(entry[1] is _send_pending for entry in connection.run_on_commit):
        connection._sla_recompute = set()  # a rolled-back transaction's ids are dropped
        transaction.on_commit(_send_pending)
    connection._sla_recompute.update(policy_ids)


def _send_pending() -> None:
    connection = transaction.get_connection()
    ids = sorted(getattr(connection, "_sla_recompute", None) or ())
    connection._sla_recompute = set()
    if ids:
        dispatch.send(RECOMPUTE, ids)


def _calendar_policies(calendar_id) -> list[int]:
    q = SlaPolicy.objects.filter(calendar_id=calendar_id)
    if BusinessCalendar.objects.filter(pk=calendar_id, is_default=True).exists():
        q = SlaPolicy.objects.filter(calendar_id=calendar_id) | SlaPolicy.objects.filter(
            calendar__isnull=True
        )
    return list(q.values_list("pk", flat=True))


@receiver(post_save, sender=SlaPolicy)
@receiver(post_delete, sender=SlaPolicy)
def policy_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _schedule([instance.pk])


@receiver(post_save, sender=EscalationRule)
@receiver(post_delete, sender=EscalationRule)
def rule_changed(sender, instance, raw=False, **kwargs):
    if not raw and instance.policy_id:
        _schedule([instance.policy_id])


@receiver(post_save, sender=BusinessCalendar)
def calendar_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _schedule(_calendar_policies(instance.pk))


@receiver(post_save, sender=ExtraClosedDay)
@receiver(post_delete, sender=ExtraClosedDay)
def closed_day_changed(sender, instance, raw=False, **kwargs):
    if not raw:
        _schedule(_calendar_policies(instance.calendar_id))
