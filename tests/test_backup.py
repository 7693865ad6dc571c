"""Backup and restore: pg_dump -Fc, a restore into a fresh database, and the proof it is whole.

Transactional: pg_dump is another process and sees only committed rows. The restored copy
lives in a private database of this test, dropped at the end.
"""

import json
import time
import uuid

import psycopg
import pytest
from django.db import connection
from psycopg.conninfo import make_conninfo

from cdmo_portal import backup
from engagements import services
from engagements.models import CDMO

from .factories import CommunicationFactory, ContactFactory, minutes_ago

pytestmark = pytest.mark.django_db(transaction=True)


def source_url():
    settings = connection.settings_dict
    return make_conninfo(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=settings["NAME"],
    )


def _some_history(project, manager):
    """Versions of every kind: created, changed (with links), bulk-updated, deleted."""
    contact = ContactFactory(cdmo=project.cdmo)
    log = [CommunicationFactory(project=project) for _ in range(5)]
    services.communication_update(
        communication=log[0], by=manager, subject="Corrected", participants=[contact]
    )
    CDMO.objects.filter(pk=project.cdmo_id).update(notes="Audited in March")
    services.communication_delete(communication=log[1], by=manager, reason="Duplicate")
    services.communication_log(
        project=project,
        by=manager,
        channel="email",
        direction="outbound",
        occurred_at=minutes_ago(30),
        subject="Opens an ask",
        open_request=True,
    )


def test_it_restores_a_backup_whose_row_counts_and_audit_hashes_match(
    tmp_path, project, manager, capsys
):
    _some_history(project, manager)
    source = source_url()
    started = time.perf_counter()
    dump = backup.dump(source, tmp_path)
    dumped = time.perf_counter() - started
    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["tables"]["engagements_historicalcommunication"] >= 8
    assert len(manifest["audit_sha256"]) == 20  # with invitations, sign-in rules, users
    target = f"cdmo_restore_check_{uuid.uuid4().hex[:10]}"  # not a test_… database
    try:
        restored = backup.restore(dump, target, source)
        assert restored.differences == []
        assert restored.tables == len(manifest["tables"])
        with psycopg.connect(backup.with_database(source, target), autocommit=True) as conn:
            _it_stays_append_only(conn)
            _a_changed_copy_is_caught(conn, manifest)
    finally:
        backup.drop_database(source, target)
    with capsys.disabled():
        print(
            f"\nbackup/restore: {restored.tables} tables, {restored.rows} rows, "
            f"{restored.audit_tables} audit tables hashed; dump {dumped:.1f} s, "
            f"restore {restored.seconds:.1f} s; counts and SHA-256 match"
        )


def _it_stays_append_only(conn):
    """The copy keeps its triggers, and the test-only TRUNCATE exemption does not apply."""
    conn.execute("SET cdmo.allow_audit_truncate = 'on'")
    for statement in (
        "TRUNCATE engagements_historicalcommunication",
        "DELETE FROM engagements_historicalcommunication",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
            conn.execute(statement)


def _a_changed_copy_is_caught(conn, manifest):
    conn.execute(
        "INSERT INTO engagements_historicalsponsor (id, name, slug, created_at, history_date,"
        " history_type) VALUES (424242, 'Forged', 'forged', now(), now(), '+')"
    )
    differences = backup.compare(manifest, backup.fingerprint(conn))
    assert [line.split(":")[0] for line in differences] == [
        "tables engagements_historicalsponsor",
        "audit_sha256 engagements_historicalsponsor",
    ]


def test_it_refuses_to_restore_into_an_existing_database(tmp_path):
    dump = backup.dump(source_url(), tmp_path)
    with pytest.raises(psycopg.errors.DuplicateDatabase):
        backup.restore(dump, connection.settings_dict["NAME"], source_url())
