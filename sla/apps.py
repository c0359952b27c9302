from django.apps import AppConfig


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = "Service levels"

    def ready(self):
        from inbox.lifecycle.hooks import tasks_touched
        from sla import receivers

        tasks_touched.connect(receivers.apply_policies, dispatch_uid="sla.apply_policies")
