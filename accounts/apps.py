from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from allauth.account.signals import user_logged_in

        from accounts.sso.adapter import on_user_logged_in

        user_logged_in.connect(on_user_logged_in, dispatch_uid="accounts.sso.groups")
