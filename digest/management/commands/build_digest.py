"""Build (or rebuild) a day's digest in this process: ingest, classify, summarise, publish."""

import time

from django.core.management.base import BaseCommand, CommandError

from digest import pipeline
from papers.sources import SourceError


class Command(BaseCommand):
    help = "Run the whole pipeline for one announcement date (YYYY-MM-DD), without a worker."

    def add_arguments(self, parser):
        parser.add_argument("date", help="Announcement date, YYYY-MM-DD.")

    def handle(self, *args, date, **options):
        try:
            day = pipeline.parse_day(date)
            self.stdout.write(f"Building the digest of {day.isoformat()}")
            started = time.monotonic()
            pipeline.build_digest(day, progress=self._progress(started))
        except (pipeline.PipelineError, SourceError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(f"Published {day.isoformat()} in {time.monotonic() - started:.1f} s")
        )

    def _progress(self, started: float):
        def report(stage: str, counts: dict) -> None:
            details = ", ".join(f"{key} {value}" for key, value in counts.items())
            self.stdout.write(
                f"  {stage:<9} done at {time.monotonic() - started:5.1f} s: {details}"
            )

        return report
