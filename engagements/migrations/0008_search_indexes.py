"""Indexes of the search box on PostgreSQL (engagements/search.py; issue 17, item 15).

- pg_trgm: trigram GIN indexes on UPPER(name) of CDMOs and UPPER(name), UPPER(code) of
  projects. One expression serves both the substring match (Django's icontains is
  `UPPER(x) LIKE UPPER('%…%')`) and trigram word similarity (case-blind anyway).
- Full-text GIN indexes on to_tsvector('english', …) of communications' subject and summary
  and of requests' title: expressions exactly as engagements/search.py queries them
  (tests/test_search.py checks that the plans use these indexes).
- btree_gin, so that each index starts with sponsor_id as every index behind a page does.

Expression indexes, no new column: nothing changes in the audited tables or their trail.
SQLite (the demo) has none of this; there the search is a plain substring match.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.contrib.postgres.search import SearchVector
from django.db import migrations
from django.db.models import F
from django.db.models.functions import Upper


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
    "communication": GinIndex(
        F("sponsor"),
        SearchVector("subject", "summary", config="english"),
        name="comm_subject_summary_search",
    ),
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for model_name, index in INDEXES.items():
        schema_editor.add_index(apps.get_model("engagements", model_name), index)


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
        # No-ops on other databases.
        TrigramExtension(),
        BtreeGinExtension(),
        migrations.RunPython(add_indexes, remove_indexes, elidable=False),
    ]
