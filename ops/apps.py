from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Celery signal receivers (task outcome metrics and per-task log lines).
        from ops import celery_signals  # noqa: F401
