"""Write a published day in the reference product's format: the Markdown report and its chart."""

from pathlib import Path

from django.core.management.base import CommandError

from digest.export import export_digest
from digest.management.day_command import DayCommand
from digest.models import DailyDigest


class Command(DayCommand):
    help = "Write Papers_<date>_report.md and paper_<date>.png for a published day."
    date_help = "The digest date, YYYY-MM-DD."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--out", type=Path, default=Path("."), help="Folder to write into (default: here)."
        )

    def handle_day(self, day, *, out, **options):
        digest = DailyDigest.objects.published().filter(date=day).first()
        if digest is None:
            raise CommandError(f"No published digest for {day.isoformat()}.")
        if out.exists() and not out.is_dir():
            raise CommandError(f"--out {out} is not a folder.")
        for path in export_digest(digest, out):
            self.stdout.write(f"  wrote {path} ({path.stat().st_size:,} bytes)")
        self.stdout.write(self.style.SUCCESS(f"Exported {day.isoformat()}"))
