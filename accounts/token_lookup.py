"""The bearer-token lookup every API request makes, at the cost of one indexed SELECT.

The statement (the token row joined to its user, by the unique ``digest`` index; unrevoked
tokens of active users only) is compiled by the ORM once per process (``config.compiled``);
each request only executes it. Read-only, no lock; callable from anywhere.
"""

from accounts.models import ApiToken
from config.compiled import CompiledRead

_LOOKUP = CompiledRead(
    lambda digest: ApiToken.objects.select_related("user").filter(
        digest=digest, revoked_at__isnull=True, user__is_active=True
    ),
    keys=("0" * 64, "1" * 64),
    key_field=ApiToken._meta.get_field("digest"),
)


def find_active_token(digest: str) -> ApiToken | None:
    """The unrevoked token with ``digest`` whose user is active, with ``token.user`` loaded;
    None when there is none. Expiry is the caller's check."""
    return _LOOKUP.first(digest)
