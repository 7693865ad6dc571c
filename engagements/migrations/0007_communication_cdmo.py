"""Communications carry their project's CDMO, for the CDMO timeline (issue 17, item 15).

A CDMO's timeline over a million communications (SPEC §6) would otherwise join through
projects and sort every communication of the CDMO; with the copy it reads the first page of
one index, (sponsor, cdmo, occurred_at desc, id desc).

The column is computed (Communication.computed_fields), outside the audit trail: a project's
versions record its CDMO, so the fill below writes no versions, and none are missing.

On PostgreSQL a foreign key on (project_id, cdmo_id) → project (id, cdmo_id), ON UPDATE
CASCADE, keeps the copy equal to the project's CDMO on every write path — a project moved to
another CDMO through a form, the admin, QuerySet.update() or raw SQL takes its communications
along, and a row with another CDMO than its project's is refused. Elsewhere (SQLite, the demo)
Project.save() moves them.
"""

import django.db.models.deletion
from django.db import migrations, models

FILL = """
UPDATE engagements_communication SET cdmo_id = (
    SELECT p.cdmo_id FROM engagements_project p WHERE p.id = engagements_communication.project_id
)
"""

PROJECT_KEY = [
    "ALTER TABLE engagements_project ADD CONSTRAINT project_id_cdmo UNIQUE (id, cdmo_id)",
    "ALTER TABLE engagements_communication ADD CONSTRAINT communication_project_cdmo "
    "FOREIGN KEY (project_id, cdmo_id) REFERENCES engagements_project (id, cdmo_id) "
    "ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED",
]
DROP_PROJECT_KEY = [
    "ALTER TABLE engagements_communication DROP CONSTRAINT IF EXISTS communication_project_cdmo",
    "ALTER TABLE engagements_project DROP CONSTRAINT IF EXISTS project_id_cdmo",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0006_sla_terms_from_scorecards"),
    ]

    operations = [
        migrations.AddField(
            model_name="communication",
            name="cdmo",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="engagements.cdmo",
                verbose_name="CDMO",
            ),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop, elidable=False),
        migrations.AlterField(
            model_name="communication",
            name="cdmo",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="engagements.cdmo",
                verbose_name="CDMO",
            ),
        ),
        migrations.AddIndex(
            model_name="communication",
            index=models.Index(
                fields=["sponsor", "cdmo", "-occurred_at", "-id"], name="comm_cdmo_timeline"
            ),
        ),
        migrations.RunPython(_run(PROJECT_KEY), _run(DROP_PROJECT_KEY), elidable=False),
    ]
