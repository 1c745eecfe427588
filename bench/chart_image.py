"""Time drawing the chart PNG of the two bundled days, cold and warm, and serving it from cache.

Builds both days (12 and 649 papers) in a throwaway test database, then renders each day's
chart: the first render in a fresh process (font loading included), the best of five after,
and a cache hit through `cached_png`. Images go to a temporary MEDIA_ROOT.
Run: DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
     uv run python bench/chart_image.py
"""

import datetime
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from bench.build_day import timed  # noqa: E402
from digest import chart_image, pipeline  # noqa: E402
from digest.models import DailyDigest  # noqa: E402

DAYS = {"reference": datetime.date(2024, 11, 14), "big": datetime.date(2025, 5, 27)}


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    figures = {}
    try:
        with tempfile.TemporaryDirectory() as media:
            settings.MEDIA_ROOT = media
            for name, day in DAYS.items():
                pipeline.build_digest(day)
                digest = DailyDigest.objects.get(date=day)
                first, png = timed(chart_image.render_png, digest.chart, day)
                warm = min(timed(chart_image.render_png, digest.chart, day)[0] for _ in range(5))
                chart_image.cached_png(digest)
                hit = min(timed(chart_image.cached_png, digest)[0] for _ in range(20))
                papers = sum(s["count"] for s in digest.chart)
                print(
                    f"{name:<9} {papers:4d} papers {len(digest.chart):2d} categories: "
                    f"first {first:.3f} s, warm {warm:.3f} s, cached {hit * 1000:.2f} ms, "
                    f"{len(png):,} bytes"
                )
                figures[name] = (first, warm, hit, len(png))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    print(
        " ".join(
            f"{name}_first_seconds={first:.3f} {name}_warm_seconds={warm:.3f} "
            f"{name}_cached_ms={hit * 1000:.2f} {name}_bytes={size}"
            for name, (first, warm, hit, size) in figures.items()
        )
    )


if __name__ == "__main__":
    main()
