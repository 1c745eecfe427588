"""Build (or rebuild) a day's digest in this process: ingest, classify, summarise, publish."""

from digest import pipeline
from digest.management.day_command import DayCommand
from digest.models import DailyDigest


class Command(DayCommand):
    help = "Run the whole pipeline for one announcement date (YYYY-MM-DD), without a worker."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--unless-published",
            action="store_true",
            help="Leave a day that is already published as it is (make demo, run again).",
        )

    def handle_day(self, day, unless_published=False, **options):
        if unless_published and DailyDigest.objects.published().filter(date=day).exists():
            self.stdout.write(f"{day.isoformat()} is already published: left as it is")
            return
        self.stdout.write(f"Building the digest of {day.isoformat()}")
        pipeline.build_digest(day, progress=self._stage_done)
        self.stdout.write(
            self.style.SUCCESS(f"Published {day.isoformat()} in {self.elapsed():.1f} s")
        )

    def _stage_done(self, stage: str, counts: dict) -> None:
        details = ", ".join(f"{key} {value}" for key, value in counts.items())
        self.stdout.write(f"  {stage:<9} done at {self.elapsed():5.1f} s: {details}")
