"""Weighted search vectors for relevance ranking (reader/search.py); PostgreSQL only.

papers/0005 stored each paper's vector as one to_tsvector of title and abstract, and
summaries/0004 each summary's; every word weighed the same. ts_rank_cd reads a lexeme's weight
from the vector, so the columns are rebuilt with the title's words as A, the abstract's as B and
the summaries' text as C: a title hit outranks an abstract hit, which outranks a summary's.
Computing the weighted vector costs what the plain one did (two to_tsvector calls over the same
text instead of one over their concatenation: bench/ingest.py measures it).

The migration lives in the reader app because the columns serve its search alone (they are not
in any model state, and the SQLite demo has neither). Replacing a stored generated column
rewrites its table under an exclusive lock: about a minute per 300,000 papers.
"""

from django.db import migrations

PAPER = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'B')"
)
PAPER_BEFORE = (
    "to_tsvector('english'::regconfig, coalesce(title, '') || ' ' || coalesce(abstract, ''))"
)
SUMMARY = "setweight(to_tsvector('simple'::regconfig, coalesce(body, '')), 'C')"
SUMMARY_BEFORE = "to_tsvector('simple'::regconfig, coalesce(body, ''))"
TABLES = [
    ("papers_paper", "paper_search", PAPER, PAPER_BEFORE),
    ("summaries_categorysummary", "summary_search", SUMMARY, SUMMARY_BEFORE),
]


def rebuild(schema_editor, table: str, index: str, expression: str) -> None:
    schema_editor.execute(
        f"ALTER TABLE {table} DROP COLUMN search_vector, "  # drops its index too
        f"ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({expression}) STORED"
    )
    schema_editor.execute(f"CREATE INDEX {index} ON {table} USING gin (search_vector)")


def weigh(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, index, expression, _ in TABLES:
            rebuild(schema_editor, table, index, expression)


def unweigh(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for table, index, _, expression in TABLES:
            rebuild(schema_editor, table, index, expression)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0005_search_index"),
        ("summaries", "0004_search_vector"),
    ]

    operations = [migrations.RunPython(weigh, unweigh)]
