"""Time building the bundled 649-paper day end to end, against a throwaway test database.

Compares each stage with a bare parse of the same day's file measured in the same run.
Run: DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
     uv run python bench/build_day.py
"""

import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from digest import pipeline  # noqa: E402
from papers.sources import bundled  # noqa: E402

DAY = datetime.date(2025, 5, 27)


def timed(function, *args):
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        parse_seconds = min(timed(bundled.load_day, DAY)[0] for _ in range(3))
        papers = len(bundled.load_day(DAY).papers)
        stages = {}
        for stage in pipeline.STAGES:
            with CaptureQueriesContext(connection) as queries:
                stages[stage] = timed(pipeline.run_stage, DAY, stage)[0]
            print(f"{stage:<9} {stages[stage]:6.3f} s  {len(queries):4d} queries")
        rebuild = timed(pipeline.build_digest, DAY)[0]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    total = sum(stages.values())
    print(f"bare parse {parse_seconds:.3f} s, build {total:.3f} s, rebuild {rebuild:.3f} s")
    print(
        f"papers={papers} database={connection.vendor} parse_seconds={parse_seconds:.3f} "
        f"build_seconds={total:.3f} rebuild_seconds={rebuild:.3f} "
        f"store_parse_ratio={stages['ingest'] / parse_seconds:.1f} "
        f"papers_per_second={papers / total:.0f}"
    )


if __name__ == "__main__":
    main()
