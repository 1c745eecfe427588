"""Summaries get a stored search vector too (digest/search.py); PostgreSQL only.

0003 indexed the expression to_tsvector('simple', body). Measured over a year of days
(bench/pages.py), recomputing that vector for each summary the planner walks in date order
costs ~1 ms a summary, tens of milliseconds a search; a stored column is computed once, when
the summary is written. Like papers' search_vector, the column is not in the model state.
"""

from django.db import migrations

COLUMN = (
    "ALTER TABLE summaries_categorysummary ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, coalesce(body, ''))) STORED"
)
INDEX = "CREATE INDEX summary_search ON summaries_categorysummary USING gin (search_vector)"
EXPRESSION_INDEX = (
    "CREATE INDEX summary_search ON summaries_categorysummary "
    "USING gin (to_tsvector('simple'::regconfig, COALESCE(body, ''::text)))"
)


def store(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS summary_search")
        schema_editor.execute(COLUMN)
        schema_editor.execute(INDEX)


def unstore(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE summaries_categorysummary DROP COLUMN search_vector")
        schema_editor.execute(EXPRESSION_INDEX)


class Migration(migrations.Migration):
    dependencies = [("summaries", "0003_search_index")]

    operations = [migrations.RunPython(store, unstore)]
