"""Run the ingest stage for one announcement date, in this process, with progress."""

from django.conf import settings

from digest import pipeline, runs
from digest.ingest import SOURCES
from digest.management.day_command import DayCommand


class Command(DayCommand):
    help = (
        "Read one announcement date's papers (YYYY-MM-DD) from a source and store them, with "
        "the day's completeness counts: the pipeline's ingest stage, without a worker."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--source",
            choices=SOURCES,
            help=f"Where to read the day (default: DIGEST_SOURCE, now {settings.DIGEST_SOURCE}).",
        )

    def handle_day(self, day, *, source, **options):
        source = source or settings.DIGEST_SOURCE
        self.stdout.write(f"Ingesting {day.isoformat()} from {source}")
        run = runs.start(day, runs.Stage.INGEST)
        counts = runs.execute(
            run, lambda: pipeline.ingest(day, source=source, progress=self.progress)
        )
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
