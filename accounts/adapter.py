"""allauth adapter: the inbox has no public sign-up; admins create accounts."""

from allauth.account.adapter import DefaultAccountAdapter


class InboxAccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False
