"""Write a published day in the reference product's format: the Markdown report and its chart."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from digest import pipeline
from digest.export import export_digest
from digest.models import DailyDigest


class Command(BaseCommand):
    help = "Write Papers_<date>_report.md and paper_<date>.png for a published day."

    def add_arguments(self, parser):
        parser.add_argument("date", help="The digest date, YYYY-MM-DD.")
        parser.add_argument(
            "--out", type=Path, default=Path("."), help="Folder to write into (default: here)."
        )

    def handle(self, *args, date, out, **options):
        try:
            day = pipeline.parse_day(date)
        except pipeline.PipelineError as exc:
            raise CommandError(str(exc)) from exc
        digest = DailyDigest.objects.published().filter(date=day).first()
        if digest is None:
            raise CommandError(f"No published digest for {day.isoformat()}.")
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is not a folder.")
        for path in export_digest(digest, out):
            self.stdout.write(f"  wrote {path} ({path.stat().st_size:,} bytes)")
        self.stdout.write(self.style.SUCCESS(f"Exported {day.isoformat()}"))
