"""The audit tables refuse UPDATE, DELETE and TRUNCATE at the database, whoever sends them.

Raw SQL on the application's own connection (the role the app runs as): every audit table,
each statement refused by the triggers of engagements migration 0005.
"""

import pytest
from django.apps import apps
from django.db import ProgrammingError, connection, transaction
from simple_history.models import HistoricalRecords

from engagements.models import CDMO


def _audited(model):
    return hasattr(model._meta, "simple_history_manager_attribute")


def audit_tables():
    """Every table simple-history writes: each audited model's, and its many-to-many sets'."""
    tables = []
    for model in apps.get_models():
        if _audited(model):
            history = model.history.model
            tables.append(history._meta.db_table)
            tables += [
                HistoricalRecords.m2m_models[field]._meta.db_table
                for field in history._history_m2m_fields
            ]
    return sorted(tables)


def _triggers():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE t.tgname LIKE 'audit\\_%%' AND NOT t.tgisinternal"
        )
        found = {}
        for table, trigger in cursor.fetchall():
            found.setdefault(table, set()).add(trigger)
        return found


def test_it_protects_every_audit_table(db):
    found = _triggers()
    missing = {table: {"audit_append_only"} - found.get(table, set()) for table in audit_tables()}
    assert {t: m for t, m in missing.items() if m} == {}, (
        "a new audited model needs a migration that protects its tables like engagements 0005"
    )
    # Versions (not their many-to-many rows) are timed by the database clock.
    versions = {m.history.model._meta.db_table for m in apps.get_models() if _audited(m)}
    assert {t for t, triggers in found.items() if "audit_server_time" in triggers} == versions


def _refused(sql):
    """Run `sql` as the application would; True when the database refuses it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            # The test settings let TRUNCATE through (the suite empties tables with it); this
            # session now behaves as the application's always does.
            cursor.execute("SET LOCAL cdmo.allow_audit_truncate = 'off'")
            # Rows this test wrote have deferred foreign-key checks pending, which alone would
            # stop a TRUNCATE; run them now, so that only the audit trigger can refuse it.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(sql)
    except ProgrammingError as error:
        return "append-only" in str(error)
    return False


def test_it_refuses_update_delete_and_truncate_of_audit_rows(communication, capsys):
    CDMO.objects.filter(pk=communication.project.cdmo_id).update(notes="a version to protect")
    communication.participants.add(communication.project.spoc)
    statements = []
    for table in audit_tables():
        name = connection.ops.quote_name(table)
        statements += [
            f"UPDATE {name} SET id = id",  # noqa: S608 - table names from our own models
            f"DELETE FROM {name}",  # noqa: S608
            f"TRUNCATE {name}",
        ]
    allowed = [sql for sql in statements if not _refused(sql)]
    assert allowed == []
    assert CDMO.history.filter(notes="a version to protect").exists()
    with capsys.disabled():
        print(
            f"\naudit tables append-only: {len(audit_tables())} tables × UPDATE/DELETE/TRUNCATE "
            f"= {len(statements)} raw SQL statements refused"
        )


@pytest.mark.parametrize("statement", ["UPDATE", "DELETE"])
def test_it_refuses_changes_through_the_orm_too(communication, statement):
    versions = communication.history.all()
    with pytest.raises(ProgrammingError, match="append-only"), transaction.atomic():
        if statement == "UPDATE":
            versions.update(subject="rewritten")
        else:
            versions.delete()
    assert communication.history.filter(subject=communication.subject).exists()
