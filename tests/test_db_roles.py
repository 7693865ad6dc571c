"""Production's database roles (issue 18, item 11): the app role owns nothing, so it cannot
switch the audit tables' append-only triggers off, alter them, or change their rows."""

import os

import psycopg
import pytest
from django.db import connection
from psycopg import errors

from cdmo_portal import db_roles

pytestmark = pytest.mark.django_db(transaction=True)

AUDIT_TABLE = "engagements_historicalcommunication"
ATTEMPTS = {
    "disable the trigger": f"ALTER TABLE {AUDIT_TABLE} DISABLE TRIGGER audit_append_only",
    "drop the trigger": f"DROP TRIGGER audit_append_only ON {AUDIT_TABLE}",
    "silence all triggers": "SET session_replication_role = replica",
    "alter the table": f"ALTER TABLE {AUDIT_TABLE} ADD COLUMN forged text",
    "change a version": f"UPDATE {AUDIT_TABLE} SET history_change_reason = 'forged'",  # noqa: S608
    "delete versions": f"DELETE FROM {AUDIT_TABLE}",  # noqa: S608
    "truncate the trail": f"TRUNCATE {AUDIT_TABLE}",
}


def _conninfo(**changes):
    settings = connection.settings_dict
    params = {
        "host": settings["HOST"] or "127.0.0.1",
        "port": settings["PORT"] or 5432,
        "dbname": settings["NAME"],
        "user": settings["USER"],
        **changes,
    }
    return " ".join(f"{key}={value}" for key, value in params.items())


@pytest.fixture
def roles():
    owner, app = f"cdmo_test_owner_{os.getpid()}", f"cdmo_test_app_{os.getpid()}"
    with psycopg.connect(_conninfo()) as admin:
        me = admin.execute("SELECT current_user").fetchone()[0]
        counts = db_roles.apply(admin, owner=owner, app=app)
        admin.commit()
    try:
        yield owner, app, counts
    finally:
        with psycopg.connect(_conninfo(), autocommit=True) as admin:
            for role in (owner, app):
                admin.execute(f'REASSIGN OWNED BY "{role}" TO "{me}"')
                admin.execute(f'DROP OWNED BY "{role}"')
                admin.execute(f'DROP ROLE "{role}"')


def test_the_app_role_cannot_switch_off_or_alter_the_audit_trail(roles, capsys):
    owner, app, counts = roles
    refused = {}
    with psycopg.connect(_conninfo(user=app), autocommit=True) as conn:
        assert conn.execute(
            "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone() == (False,)
        for what, statement in ATTEMPTS.items():
            try:
                conn.execute(statement)
            except errors.InsufficientPrivilege as error:
                refused[what] = type(error).__name__
        owned = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
            " WHERE r.rolname = current_user"
        ).fetchone()[0]
        # What the application needs still works: reading, writing its tables, adding versions.
        conn.execute("SELECT count(*) FROM engagements_communication")
        rights = conn.execute(
            "SELECT has_table_privilege(%s, 'INSERT'), has_table_privilege(%s, 'UPDATE'),"
            " has_table_privilege('engagements_communication', 'UPDATE')",
            [AUDIT_TABLE, AUDIT_TABLE],
        ).fetchone()
    assert refused == dict.fromkeys(ATTEMPTS, "InsufficientPrivilege")
    assert owned == 0
    assert rights == (True, False, True)
    with capsys.disabled():
        print(
            f"\ndatabase roles: {owner} owns {counts['tables']} tables and sequences; {app} "
            f"refused {len(refused)} of {len(ATTEMPTS)} attempts on the {counts['audit_tables']}"
            " audit tables' guard"
        )


def test_the_command_is_idempotent(roles):
    owner, app, _ = roles
    with psycopg.connect(_conninfo()) as admin:
        db_roles.apply(admin, owner=owner, app=app)
        admin.commit()
    with psycopg.connect(_conninfo(user=owner), autocommit=True) as conn:
        assert conn.execute(
            "SELECT tableowner FROM pg_tables WHERE tablename = %s", [AUDIT_TABLE]
        ).fetchone() == (owner,)
