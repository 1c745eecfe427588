"""A GIN index for full-text search over the summaries' text (digest/search.py).

PostgreSQL only, on exactly the expression reader.search.SUMMARY_VECTOR builds,
to_tsvector('simple', body): summaries are mostly Korean, which PostgreSQL cannot stem, so
they are searched by word prefix. Not in the model state, for the reasons given in
papers/migrations/0005_search_index.py.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX = GinIndex(SearchVector("body", config="simple"), name="summary_search")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("summaries", "CategorySummary")
        schema_editor.add_index(model, INDEX, concurrently=True)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        model = apps.get_model("summaries", "CategorySummary")
        schema_editor.remove_index(model, INDEX, concurrently=True)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("summaries", "0002_llm_usage_locking_regeneration")]

    operations = [migrations.RunPython(create, drop)]
