"""`make test`'s PostgreSQL check: can we reach the server of DATABASE_URL and create databases?

It connects to the server's maintenance database (``postgres``), never to the database named in
DATABASE_URL, which need not exist yet: pytest-django creates ``test_<name>`` itself. Exit 1 with
what to do when the server cannot be reached.
"""

import os
import sys

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo


def main() -> int:
    url = os.environ["DATABASE_URL"].replace("postgres://", "postgresql://", 1)
    params = conninfo_to_dict(url)
    params["dbname"] = "postgres"
    params.setdefault("connect_timeout", "5")
    try:
        with psycopg.connect(make_conninfo(**params)) as conn:
            can_create = conn.execute(
                "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user"
            ).fetchone()[0]
    except psycopg.Error as exc:
        print(f"PostgreSQL is not reachable at {os.environ['DATABASE_URL']}: {exc}".strip())
        print(
            "Start it (here: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
        )
        print("or point DATABASE_URL at a server where the user may create databases.")
        return 1
    if not can_create:
        print(
            f"The user of {os.environ['DATABASE_URL']} may not create databases; the suite needs to."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
