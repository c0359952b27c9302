"""Is an outbound URL (webhook, callback, chat) acceptable? Checked when it is saved."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings

from inbox.errors import ValidationError


def check_target_url(url: str, *, field: str = "url") -> str:
    """Refuse, with a message naming the problem, a URL that is malformed, not https (when
    required), does not resolve, or points at a private, loopback or link-local address."""

    def refuse(message: str):
        raise ValidationError(message, fields={field: [message]})

    url = str(url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        refuse("Enter a full http(s) URL, such as https://hooks.example.com/inbox.")
    if len(url) > 1000:
        refuse("The URL is longer than 1000 characters.")
    if settings.WEBHOOK_REQUIRE_HTTPS and parts.scheme != "https":
        refuse("The URL must use https:// in production.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        refuse("The URL's port is not a number between 0 and 65535.")
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        refuse(f"The host {parts.hostname!r} cannot be resolved: the URL is unreachable.")
    if not settings.WEBHOOK_ALLOW_PRIVATE:
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if not address.is_global:
                refuse(
                    f"The host {parts.hostname!r} resolves to the private address {address}; "
                    "outbound calls may only go to public addresses."
                )
    return url
