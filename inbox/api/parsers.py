"""The API's JSON parser: DRF's, made strict by ``inbox.parsing.loads_json`` (nesting up to
``parsing.MAX_DEPTH``, finite numbers only, no NUL or lone surrogates, valid UTF-8). Every
failure is a ``ParseError`` that the exception handler renders as 400 ``validation`` with the
bad spot in ``fields``."""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from inbox import parsing
from inbox.errors import ValidationError


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError({"body": ["Not valid UTF-8."]}) from None
        try:
            return parsing.loads_json(text)
        except ValidationError as exc:
            raise ParseError(exc.fields or {"body": [exc.message]}) from None
