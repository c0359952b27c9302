"""allauth adapter: the inbox has no public sign-up; admins create accounts (single sign-on
creates them too: accounts.sso.adapter)."""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context


class InboxAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs) -> bool:
        """Sensitive account changes (adding a second factor) ask to reauthenticate, except for
        someone with nothing to reauthenticate with here: an SSO user with no password and no
        second factor yet, who has just signed in through their IdP (else setting up the second
        factor MFA_REQUIRED_FOR_ADMINS demands would be a dead end)."""
        request = getattr(context, "request", None)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.has_usable_password():
            from allauth.mfa.utils import is_mfa_enabled

            if not is_mfa_enabled(user):
                return False
        return super().is_reauthentication_required(app=app, **kwargs)
