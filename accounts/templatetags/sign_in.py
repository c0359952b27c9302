from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def local_passwords() -> bool:
    """Whether the password form is offered (LOCAL_PASSWORDS)."""
    return settings.LOCAL_PASSWORDS
