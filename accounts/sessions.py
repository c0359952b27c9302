"""The session engine (``SESSION_ENGINE = "accounts.sessions"``): Django's database sessions,
with the read every signed-in request makes done as one prepared statement.

Django's ``db`` engine reads the session row with ``Session.objects.get(...)``: building and
compiling that queryset, and PostgreSQL planning the statement afresh, cost more than the
one-row index lookup itself. Here the same ``SELECT`` (the row of this key that has not
expired) is written once and runs through ``config.compiled.prepared_cursor`` (planned once per
connection on PostgreSQL; an ordinary cursor on SQLite). Everything else (saving, creating,
deleting, expiry, the session's contents and their signing) is Django's ``db`` engine
unchanged, so the rows, cookies and ``clearsessions`` are the same. Reads only; no transaction
or lock of its own.
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone

from config.compiled import prepared_cursor


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
        with prepared_cursor(connection) as cursor:
            cursor.execute(
                sql, [self.session_key, expire.get_db_prep_value(timezone.now(), connection)]
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=self.session_key, session_data=row[0])
