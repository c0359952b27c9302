"""LOCAL_PASSWORDS=false: the one authentication backend, which keeps sessions working and lets
single sign-on log people in (allauth looks for its own backend class) but accepts no password,
wherever it is typed (allauth's sign-in page, the Django admin's)."""

from allauth.account.auth_backends import AuthenticationBackend


class SingleSignOnOnlyBackend(AuthenticationBackend):
    def authenticate(self, request, **credentials):
        return None
