"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database sessions,
with the read every signed-in request makes done as one prepared statement, and (PostgreSQL)
in the same round trip as the read of the session's user that follows it.

Django's ``db`` engine reads the session row with ``Session.objects.get(...)``: building and
compiling that queryset, and PostgreSQL planning the statement afresh, cost more than the
one-row index lookup itself. Here the same ``SELECT`` (the row of this key that has not
expired) is written once and runs through ``config.compiled.prepared_cursor`` (planned once per
connection on PostgreSQL; an ordinary cursor on SQLite). Everything else (saving, creating,
deleting, expiry, the session's contents and their signing) is Django's ``db`` engine
unchanged, so the rows, cookies and ``clearsessions`` are the same. Reads only; no transaction
or lock of its own.

The user: the authentication backend reads the session's user right after the session (one
more round trip on every signed-in request). The process remembers which user each session
key it decoded belongs to (a key is bound to one user for its life: Django gives a session a
new key at login and flushes it at logout), and on the next read of that key sends the
user's row read along with the session read (``CompiledRead.first_along``: one round trip).
That row is offered to the backend's ``User.objects.get(pk=...)`` only when the session
just read names the same user; it is as fresh as the session itself. The remembered key is
only a guess: the user always comes from the session's own (signed) contents, and a wrong
guess costs one unused read. At most ``REMEMBERED_SESSIONS`` keys are remembered.
"""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from accounts.models import offer_session_user, user_by_pk_along
from config.compiled import prepared_cursor

REMEMBERED_SESSIONS = 10_000
_USER_OF_SESSION: dict[str, str] = {}  # session key -> the user id its contents named


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        """The unexpired row of this session key as an unsaved model instance carrying its
        data (all ``load`` reads), or None (and the key forgotten), as Django's engine does."""
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        meta = model._meta
        quote = connection.ops.quote_name
        expire = meta.get_field("expire_date")
        sql = (
            f"SELECT {quote(meta.get_field('session_data').column)} "
            f"FROM {quote(meta.db_table)} "
            f"WHERE {quote(meta.pk.column)} = %s AND {quote(expire.column)} > %s"
        )
        params = [self.session_key, expire.get_db_prep_value(timezone.now(), connection)]
        guess = _USER_OF_SESSION.get(self.session_key)
        self._user_along = None
        if guess is not None and connection.vendor == "postgresql":
            self._user_along, rows = user_by_pk_along(guess, sql, params)
            row = rows[0] if rows else None
        else:
            with prepared_cursor(connection) as cursor:
                cursor.execute(sql, params)
                row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])

    def load(self):
        key = self.session_key
        data = super().load()
        user_id = data.get(SESSION_KEY)
        if key and self.session_key == key and isinstance(user_id, str):
            if _USER_OF_SESSION.get(key) != user_id:
                if len(_USER_OF_SESSION) >= REMEMBERED_SESSIONS:
                    _USER_OF_SESSION.clear()
                _USER_OF_SESSION[key] = user_id
            user = getattr(self, "_user_along", None)
            if user is not None and str(user.pk) == user_id:
                offer_session_user(user)
        self._user_along = None
        return data
