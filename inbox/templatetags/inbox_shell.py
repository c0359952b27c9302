"""Template tags of the page shell (``templates/base.html``).

``{% shell_header %}``: the header, built in Python (``inbox.views.shell_header``).

``{% once %}...{% endonce %}``: markup that depends on nothing of the request (the ``<head>``'s
``{% static %}`` links and htmx script: each a manifest lookup and URL join per page) rendered
once per process and then inserted as it is. The block renders in an EMPTY context (the
template's context with none of its values: ``Context.new``), so a variable inside it is
always blank: nothing of one request can leak into another's page. Rendered again after any
setting changes (``setting_changed``: tests' ``override_settings``) and when ``DEBUG`` flips
(htmx's script tag depends on it). Not for tags that read the request itself (e.g. a CSP
nonce: none is used here).
"""

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.safestring import mark_safe

from inbox.views.shell_header import header_html

register = template.Library()

# Bumped on every setting change: each block's remembered markup is then stale.
_generation = [0]


def _settings_changed(**_) -> None:
    _generation[0] += 1


setting_changed.connect(_settings_changed, dispatch_uid="inbox_shell.once")


@register.simple_tag(takes_context=True)
def shell_header(context):
    return header_html(context)


class OnceNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist
        self.rendered = None  # (generation, DEBUG, markup)

    def render(self, context):
        key = (_generation[0], settings.DEBUG)
        rendered = self.rendered
        if rendered is None or rendered[:2] != key:
            markup = mark_safe(self.nodelist.render(context.new()))  # noqa: S308 (rendered)
            rendered = self.rendered = (*key, markup)
        return rendered[2]


@register.tag
def once(parser, token):
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("'once' takes no arguments")
    nodelist = parser.parse(("endonce",))
    parser.delete_first_token()
    return OnceNode(nodelist)
