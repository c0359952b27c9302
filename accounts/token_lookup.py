"""The bearer-token lookup every API request makes, at the cost of one indexed SELECT.

The statement (the token row joined to its user, by the unique ``digest`` index, active tokens
of active users only) is compiled by the ORM once per database alias and kept; each request
then only executes it and builds the two model instances from the row with ``Model.from_db``,
passing every column through the converters the ORM itself would apply (so SQLite, whose
driver returns datetimes as text, reads the same values as PostgreSQL). No row lock, no
transaction of its own; read-only, callable from anywhere.
"""

from functools import lru_cache

from django.db import connections, router

from accounts.models import ApiToken, User

_SENTINEL = "\x01token-digest\x01"  # stands in for the digest while the statement is compiled


@lru_cache(maxsize=8)
def _statement(alias: str):
    """(sql, params with the digest's slot, digest index, token columns, user columns,
    converters by column) for ``alias``; compiled by the ORM from the same filter as before."""
    connection = connections[alias]
    queryset = (
        ApiToken.objects.using(alias)
        .select_related("user")
        .filter(digest=_SENTINEL, revoked_at__isnull=True, user__is_active=True)
        .order_by()
    )
    compiler = queryset.query.get_compiler(using=alias)
    sql, params = compiler.as_sql()
    params = list(params)
    slot = params.index(_SENTINEL)
    # The select list is the token's concrete fields then the user's, in model order.
    columns = [col for col, _, _ in compiler.select]
    token_fields = [f.attname for f in ApiToken._meta.concrete_fields]
    user_fields = [f.attname for f in User._meta.concrete_fields]
    if len(columns) != len(token_fields) + len(user_fields):
        raise RuntimeError("unexpected select list for the token lookup")
    converters = []
    for index, col in enumerate(columns):
        found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
        if found:
            converters.append((index, col, found))
    return sql, params, slot, token_fields, user_fields, converters, connection.alias


def find_active_token(digest: str) -> ApiToken | None:
    """The unrevoked token with ``digest`` whose user is active, with ``token.user`` loaded;
    None when there is none. Expiry is the caller's check."""
    alias = router.db_for_read(ApiToken)
    sql, params, slot, token_fields, user_fields, converters, alias = _statement(alias)
    params = list(params)
    params[slot] = digest
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    if converters:
        row = list(row)
        for index, col, funcs in converters:
            value = row[index]
            for func in funcs:
                value = func(value, col, connection)
            row[index] = value
    split = len(token_fields)
    token = ApiToken.from_db(alias, token_fields, row[:split])
    token.user = User.from_db(alias, user_fields, row[split:])
    return token
