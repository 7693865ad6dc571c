"""Database roles for production: the application never owns what it writes.

The migrations run as an *owner* role that owns every table; the web and worker processes
connect as an *app* role that owns nothing and is no superuser. Ownership is what lets a
role switch triggers off (`ALTER TABLE … DISABLE TRIGGER`) or alter a table, and only a
superuser may set `session_replication_role = replica` (which silences every trigger): so
the app role cannot undo the append-only guard of the audit tables, and on those tables it
may only SELECT and INSERT.

    python -m cdmo_portal.db_roles --owner cdmo_owner --app cdmo_app   (make db-roles)

Reads DATABASE_URL (a superuser, or the database's current owner, on the target database).
Idempotent: run it after each deploy's migrations; roles that exist are kept, grants are
brought to the state above. Passwords, if any, are set by the operator (ALTER ROLE … PASSWORD).
"""

import argparse
import os
import sys

import psycopg
from psycopg import sql

from .backup import AUDIT_TABLES

# A sequence that belongs to a table's column follows the table's owner by itself.
OWNED = """
    SELECT c.relname, c.relkind FROM pg_class c
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
      AND NOT EXISTS (
        SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')
          AND c.relkind = 'S'
      )
    ORDER BY 1
"""


def _create_role(conn, name, *, login=True):
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name]).fetchone()
    options = sql.SQL("LOGIN" if login else "NOLOGIN")
    if not exists:
        conn.execute(sql.SQL("CREATE ROLE {} {}").format(sql.Identifier(name), options))
    # Never more than needed, whatever the role had before.
    conn.execute(
        sql.SQL(
            "ALTER ROLE {} NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
        ).format(sql.Identifier(name))
    )


def apply(conn, *, owner, app):
    """Make `owner` own the schema's objects and give `app` the rights to use them, no more."""
    _create_role(conn, owner)
    _create_role(conn, app)
    database = conn.execute("SELECT current_database()").fetchone()[0]
    o, a = sql.Identifier(owner), sql.Identifier(app)
    conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), o))
    conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(o))
    for name, kind in conn.execute(OWNED).fetchall():
        statement = {"S": "ALTER SEQUENCE {} OWNER TO {}", "v": "ALTER VIEW {} OWNER TO {}"}.get(
            kind, "ALTER TABLE {} OWNER TO {}"
        )
        conn.execute(sql.SQL(statement).format(sql.Identifier(name), o))
    conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(a))
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), a))
    conn.execute(
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(
            a
        )
    )
    conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(a))
    audit = [row[0] for row in conn.execute(AUDIT_TABLES).fetchall()]
    for table in audit:
        conn.execute(
            sql.SQL("REVOKE UPDATE, DELETE, TRUNCATE ON {} FROM {}").format(
                sql.Identifier(table), a
            )
        )
    # Tables the owner's later migrations create get the same rights (audit ones are revoked
    # again by the next run of this command, which a deploy runs after migrating).
    conn.execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
        ).format(o, a)
    )
    conn.execute(
        sql.SQL(
            "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public "
            "GRANT USAGE, SELECT ON SEQUENCES TO {}"
        ).format(o, a)
    )
    return {"tables": len(conn.execute(OWNED).fetchall()), "audit_tables": len(audit)}


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m cdmo_portal.db_roles")
    parser.add_argument("--owner", default=os.environ.get("DB_OWNER_ROLE", "cdmo_owner"))
    parser.add_argument("--app", default=os.environ.get("DB_APP_ROLE", "cdmo_app"))
    args = parser.parse_args(argv)
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print("DATABASE_URL must name the PostgreSQL database to set up.", file=sys.stderr)
        return 2
    with psycopg.connect(url, autocommit=False) as conn:
        counts = apply(conn, owner=args.owner, app=args.app)
        conn.commit()
    print(
        f"{args.owner} owns {counts['tables']} tables and sequences; {args.app} may read and "
        f"write them, and only read and insert on the {counts['audit_tables']} audit tables."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
