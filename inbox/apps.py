from django.apps import AppConfig


class InboxConfig(AppConfig):
    name = "inbox"
    verbose_name = "Inbox"

    def ready(self):
        from inbox import signals  # noqa: F401  (connects the Source schedule receivers)
