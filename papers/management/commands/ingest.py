"""Run the ingest stage for one announcement date, in this process, with progress."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from digest import pipeline
from papers.ingest import SOURCES
from papers.sources import SourceError


class Command(BaseCommand):
    help = (
        "Read one announcement date's papers (YYYY-MM-DD) from a source and store them, with "
        "the day's completeness counts: the pipeline's ingest stage, without a worker."
    )

    def add_arguments(self, parser):
        parser.add_argument("date", help="Announcement date, YYYY-MM-DD.")
        parser.add_argument(
            "--source",
            choices=SOURCES,
            help=f"Where to read the day (default: DIGEST_SOURCE, now {settings.DIGEST_SOURCE}).",
        )

    def handle(self, *args, date, source, **options):
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"  {time.monotonic() - started:5.1f} s  {message}")

        try:
            day = pipeline.parse_day(date)
            source = source or settings.DIGEST_SOURCE
            self.stdout.write(f"Ingesting {day.isoformat()} from {source}")
            run = pipeline.start(day, pipeline.Stage.INGEST)
            counts = pipeline.execute(
                run, lambda: pipeline.ingest(day, source=source, progress=progress)
            )
        except (pipeline.PipelineError, SourceError) as exc:
            raise CommandError(str(exc)) from exc
        if "no_announcement" in counts:
            self.stdout.write(f"No announcement on {day.isoformat()}: {counts['no_announcement']}")
            return
        state = "complete" if counts["complete"] else "INCOMPLETE"
        note = ", approximate" if counts["approximate"] else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{day.isoformat()}: {counts['stored']} of {counts['listed']} listed papers stored "
                f"({state}{note}); created {counts['created']}, updated {counts['updated']}, "
                f"revised {counts['revised']}"
            )
        )
        if "popularity_error" in counts:
            self.stdout.write(self.style.WARNING(f"popularity: {counts['popularity_error']}"))
