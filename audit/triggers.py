"""Make every audit (historical) table append-only on PostgreSQL, timed by the database clock.

Triggers on each table that simple-history writes:
- BEFORE INSERT: `history_date` is the database's clock_timestamp(), whatever the client sent;
- BEFORE UPDATE, DELETE or TRUNCATE (each statement): refused with SQLSTATE 42501.

Triggers bind every role, superusers included (short of dropping them or
session_replication_role = replica). The one exemption is TRUNCATE in a test database
(named test_…) whose session sets `cdmo.allow_audit_truncate = on`: the test settings do,
because the suite empties tables between transactional tests with TRUNCATE.

SQLite (the demo) has no such guard; there the trail's time is the server process's clock.

Each app's migration that adds an audited model ends with
`migrations.RunPython(install_append_only, remove_append_only)`: the tables are listed from
the migration state, so that covers every audited model up to it (tests/test_audit_trail.py
checks that every audit table has the triggers).
"""

STAMP_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_stamp_server_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.history_date := clock_timestamp();
    RETURN NEW;
END
$$;
"""

REFUSE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE'
       AND current_setting('cdmo.allow_audit_truncate', true) = 'on'
       AND current_database() LIKE 'test\_%' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit rows are append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def audit_tables(apps):
    """(table, has history_date) of every historical model in the migration state."""
    tables = []
    for model in apps.get_models():
        names = {field.name for field in model._meta.get_fields()}
        if {"history_id", "history_type", "history_date"} <= names:
            tables.append((model._meta.db_table, True))
        elif "m2m_history_id" in names:  # the many-to-many sets of a version
            tables.append((model._meta.db_table, False))
    return sorted(tables)


def install_append_only(apps, schema_editor):
    """Install the guard on every audit table of the migration state (idempotent)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    # params=None: the bodies' % signs are PL/pgSQL's, not query placeholders.
    schema_editor.execute(STAMP_FUNCTION, params=None)
    schema_editor.execute(REFUSE_FUNCTION, params=None)
    for table, has_date in audit_tables(apps):
        name = quote(table)
        # Per statement: refused even when no row matches, and whatever the rows.
        schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_append_only ON {name}")
        schema_editor.execute(
            f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {name} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()"
        )
        if has_date:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS audit_server_time ON {name}")
            schema_editor.execute(
                f"CREATE TRIGGER audit_server_time BEFORE INSERT ON {name} "
                "FOR EACH ROW EXECUTE FUNCTION audit_stamp_server_time()"
            )


def remove_append_only(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, _ in audit_tables(apps):
        name = schema_editor.quote_name(table)
        for trigger in ("audit_append_only", "audit_server_time"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_refuse_change()")
    schema_editor.execute("DROP FUNCTION IF EXISTS audit_stamp_server_time()")
