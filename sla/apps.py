from django.apps import AppConfig


class SlaConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sla"
    verbose_name = "Service levels"

    def ready(self):
        from inbox.lifecycle.hooks import outside_group_rules, tasks_touched
        from sla import receivers
        from sla.policies import allows_outside_delegation

        tasks_touched.connect(receivers.apply_policies, dispatch_uid="sla.apply_policies")
        if allows_outside_delegation not in outside_group_rules:
            outside_group_rules.append(allows_outside_delegation)
