"""What the search box reads (engagements/search.py; issue 17, item 15).

- Communication.search_document: to_tsvector('english', subject || ' ' || summary) as a stored
  generated column, so that no plan recomputes it row by row (a summary may be 20,000
  characters). The database fills it for the existing rows here, and on every later write.
  It is no field of the trail: versions keep subject and summary, which it is computed from.
- Request "request_recent" (sponsor, opened_at desc, id desc): matches listed newest first.

On PostgreSQL only (no-ops elsewhere):
- pg_trgm, and trigram GIN indexes on UPPER(name) of CDMOs and UPPER(name), UPPER(code) of
  projects. One expression serves both the substring match (Django's icontains is
  `UPPER(x) LIKE UPPER('%…%')`) and trigram word similarity (case-blind anyway).
- Full-text GIN indexes on the communications' search document and on to_tsvector('english',
  title) of requests, the expression exactly as search.py queries it (tests/test_search.py
  checks that the plans can use each index).
- btree_gin, so that each index starts with sponsor_id as every index behind a page does.
- A larger statistics sample of those text columns: the planner then knows a rare word as rare
  and reads the GIN index, instead of walking every communication newest first for it.

SQLite (the demo) keeps a NULL search document and searches the text itself.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Upper

import engagements.models.fields

STATISTICS = 1000  # per column; the default is 100


def _trigram(field):
    return OpClass(Upper(field), name="gin_trgm_ops")


INDEXES = {
    "cdmo": GinIndex(F("sponsor"), _trigram("name"), name="cdmo_name_trigram"),
    "project": GinIndex(
        F("sponsor"), _trigram("name"), _trigram("code"), name="project_name_code_trigram"
    ),
    "request": GinIndex(
        F("sponsor"), SearchVector("title", config="english"), name="request_title_search"
    ),
    "communication": GinIndex(fields=["sponsor", "search_document"], name="comm_search_document"),
}
STATISTICS_SQL = [
    f"ALTER TABLE engagements_communication ALTER COLUMN search_document "
    f"SET STATISTICS {STATISTICS}",
    f"ALTER INDEX request_title_search ALTER COLUMN 2 SET STATISTICS {STATISTICS}",
]


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.add_index(apps.get_model("engagements", model_name), index)
    for statement in STATISTICS_SQL:
        schema_editor.execute(statement)


def remove_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.remove_index(apps.get_model("engagements", model_name), index)


class Migration(migrations.Migration):
    dependencies = [
        ("engagements", "0007_communication_cdmo"),
    ]

    operations = [
        TrigramExtension(),
        BtreeGinExtension(),
        migrations.AddField(
            model_name="communication",
            name="search_document",
            field=models.GeneratedField(
                db_persist=True,
                expression=engagements.models.fields.SearchDocument("subject", "summary"),
                output_field=engagements.models.fields.SearchDocumentField(),
            ),
        ),
        migrations.AddIndex(
            model_name="request",
            index=models.Index(fields=["sponsor", "-opened_at", "-id"], name="request_recent"),
        ),
        migrations.RunPython(add_indexes, remove_indexes, elidable=False),
    ]
