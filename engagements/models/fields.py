"""The search document of a communication: a tsvector on PostgreSQL, nothing elsewhere.

A stored generated column, so that the search never recomputes to_tsvector() row by row: a
plan that walks communications newest first (a common word) reads the stored vector, and one
that reads the GIN index (a rare word) needs no recheck. The database computes it on every
insert and update, whatever writes; it is never typed and stays outside the audit trail.
SQLite (the demo) keeps a NULL column there and searches the text itself (engagements/search.py).
"""

from django.contrib.postgres.search import SearchVector, SearchVectorField

SEARCH_CONFIG = "english"


class SearchDocumentField(SearchVectorField):
    """tsvector on PostgreSQL; a text column elsewhere, which holds nothing."""

    def db_type(self, connection):
        return "tsvector" if connection.vendor == "postgresql" else "text"


class SearchDocument(SearchVector):
    """to_tsvector of the fields, English, as the search queries it; NULL on other databases."""

    def __init__(self, *fields):
        super().__init__(*fields, config=SEARCH_CONFIG)

    def as_sqlite(self, compiler, connection, **extra_context):
        return "NULL", []
