"""The database's random_page_cost set to 1.1 (PostgreSQL only; docs/search.md).

With the default 4 (a spinning disk's), the planner reads the 4,750 summaries of a year whole
rather than through their full-text index, and a search's capped count walks the date index
testing every row, each test reading the paper's search vector from its TOAST table: up to
0.5 s for a common word filtered by category (bench/pages.py, 302,781 papers). The tables of a
deployment sit in memory or on SSD, where a random read costs about a sequential one, so the
search index is used. Set on the database (every new session of any client, PgBouncer
included), only when the migrating role owns it; otherwise it is left to the administrator.
"""

from django.db import migrations

SET = """
DO $$ BEGIN
  IF pg_has_role(current_user,
                 (SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
  THEN EXECUTE format('ALTER DATABASE %I SET random_page_cost = {}', current_database());
  END IF;
END $$
"""


def apply(value: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(SET.format(value), None)  # no parameters: %I is format()'s

    return run


class Migration(migrations.Migration):
    dependencies = [("reader", "0001_weighted_search_vectors")]

    operations = [migrations.RunPython(apply("1.1"), apply("DEFAULT"))]
