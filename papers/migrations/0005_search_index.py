"""Full-text search over papers' titles and abstracts (digest/search.py); PostgreSQL only.

A stored generated column holds each paper's vector, to_tsvector('english', title || ' ' ||
abstract), with a GIN index on it. An index on the expression alone is not enough: results are
newest first and counted, so PostgreSQL also tests rows while it walks them by date, and
recomputing a vector there costs ~0.1 ms a row, seconds for a common word over a year of
papers. A stored vector is computed once, when the paper is written.

The column and its index are not in the model state: they serve that one query, the SQLite
demo has neither (it searches with LIKE), and a GeneratedField cannot be PostgreSQL-only.
Adding a stored column rewrites the table under an exclusive lock (about a minute per 300,000
papers).
"""

from django.db import migrations

COLUMN = (
    "ALTER TABLE papers_paper ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, ''))) "
    "STORED"
)
INDEX = "CREATE INDEX paper_search ON papers_paper USING gin (search_vector)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(COLUMN)
        schema_editor.execute(INDEX)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE papers_paper DROP COLUMN search_vector")  # and index


class Migration(migrations.Migration):
    dependencies = [("papers", "0004_paper_revision_popularity")]

    operations = [migrations.RunPython(create, drop)]
