"""Secrets never leave the server: what to show instead of a source's URL userinfo, tokens and
credentials, in pages, forms, the Django admin, the API, stored errors and logs.

- ``redact_url``: ``http://user:secret@host/x`` -> ``http://***@host/x`` (``mask=""`` drops it).
- ``restore_url``: a form or PATCH that sends the masked URL back keeps the stored userinfo.
- ``redact_text``: any text (an error message, a log line) with URL userinfo, bearer tokens,
  ``token=``/``password=``-style values and each given secret replaced by ``***``.
- ``source_secrets``: the secret strings one source holds (credential values, URL userinfo).
- ``RedactingFilter``: a logging filter applying ``redact_text`` to every record.

Pure functions; no database access.
"""

import logging
import re
from collections.abc import Iterable
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s@'\"<>]+)@")
_BEARER = re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{6,}")
_KEY_VALUE = re.compile(
    r"(?i)\b(token|secret|password|passwd|api[_-]?key|access[_-]?token|authorization|signature)"
    r"(\"?\s*[:=]\s*\"?)([^\s&\"',;}]+)"
)
_MIN_SECRET = 4  # shorter "secrets" would blank out ordinary words


def redact_url(url: str, *, mask: str = MASK) -> str:
    """``url`` with its ``user:password@`` part replaced by ``mask`` (or dropped when empty)."""
    if not url or "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_text(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{mask}@{host}" if mask else host))


def restore_url(posted: str, stored: str | None) -> str:
    """``posted`` with a masked userinfo (``***@``) replaced by the stored URL's userinfo, when
    the stored URL has one; otherwise ``posted`` unchanged."""
    if not posted or not stored or f"{MASK}@" not in posted:
        return posted
    try:
        old, new = urlsplit(stored), urlsplit(posted)
    except ValueError:
        return posted
    if "@" not in old.netloc or not new.netloc.startswith(f"{MASK}@"):
        return posted
    userinfo = old.netloc.rsplit("@", 1)[0]
    host = new.netloc.split("@", 1)[1]
    return urlunsplit(new._replace(netloc=f"{userinfo}@{host}"))


def url_userinfo_secrets(url: str | None) -> list[str]:
    """The userinfo of ``url`` and its password, raw and percent-decoded."""
    if not url or "@" not in url:
        return []
    try:
        netloc = urlsplit(url).netloc
    except ValueError:
        return []
    if "@" not in netloc:
        return []
    userinfo = netloc.rsplit("@", 1)[0]
    found = [userinfo, unquote(userinfo)]
    if ":" in userinfo:
        password = userinfo.split(":", 1)[1]
        found += [password, unquote(password)]
    return found


def source_secrets(source) -> list[str]:
    """Every secret string a source holds: its credential values and its URL's userinfo."""
    creds = getattr(source, "credentials", None)
    values = [v for v in creds.values() if isinstance(v, str)] if isinstance(creds, dict) else []
    return [*values, *url_userinfo_secrets(getattr(source, "base_url", ""))]


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL userinfo, bearer tokens, ``key=value`` secrets and each of ``secrets``
    replaced by ``***``."""
    if not text:
        return text
    for secret in sorted(
        {s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}{MASK}@", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KEY_VALUE.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


class RedactingFilter(logging.Filter):
    """Redacts every log record's message (and exception text) before any handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to the handler to report
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        return True
