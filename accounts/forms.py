"""allauth's sign-in and password-reset forms, refusing with a clear message when local
passwords are turned off (LOCAL_PASSWORDS=false)."""

from allauth.account.forms import LoginForm, ResetPasswordForm
from django import forms
from django.conf import settings

PASSWORDS_OFF = "Password sign-in is turned off here: use your company's single sign-on."


class InboxLoginForm(LoginForm):
    def clean(self):
        if not settings.LOCAL_PASSWORDS:
            raise forms.ValidationError(PASSWORDS_OFF)
        return super().clean()


class InboxResetPasswordForm(ResetPasswordForm):
    def clean(self):
        if not settings.LOCAL_PASSWORDS:
            raise forms.ValidationError(PASSWORDS_OFF)
        return super().clean()
