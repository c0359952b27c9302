"""Keep each engine source's beat schedule in line with the Source row, whoever saves it
(the inbox console, the Django admin, a management command)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from inbox.models import Source
from inbox.sync.schedule import remove_source_schedule, sync_source_schedule


@receiver(post_save, sender=Source)
def source_saved(sender, instance: Source, raw=False, **kwargs):
    if not raw:
        sync_source_schedule(instance)


@receiver(post_delete, sender=Source)
def source_deleted(sender, instance: Source, **kwargs):
    remove_source_schedule(instance.pk)
