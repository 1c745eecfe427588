"""Import the reference product's reports (`Papers_<date>_report.md`) as published days."""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from digest.importer import import_report
from digest.report_format import ReportError, read_report
from digest.report_labels import CategoryMap


class Command(BaseCommand):
    help = (
        "Import reports in the reference format as published days. Every file is checked "
        "before anything is written; re-importing a report changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path, help="Report files or folders of them.")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Overwrite days the pipeline has already built with the reports' content.",
        )
        parser.add_argument(
            "--except",
            dest="excepted",
            nargs="+",
            default=[],
            metavar="YYYY-MM-DD",
            type=datetime.date.fromisoformat,
            help="Leave these days' reports out: days the pipeline builds (make demo).",
        )

    def handle(self, *args, paths, replace, excepted, **options):
        files = []
        for path in paths:
            files += sorted(path.glob("Papers_*_report.md")) if path.is_dir() else [path]
        try:
            reports = [read_report(path) for path in files]
            for report in [r for r in reports if r.date in excepted]:
                self.stdout.write(f"  {report.date.isoformat()}: left to the pipeline")
                reports.remove(report)
            if not reports:
                raise ReportError(
                    f"No Papers_<date>_report.md files in {', '.join(map(str, paths))}."
                )
            categories = CategoryMap()
            with transaction.atomic():  # all reports or none
                self._import(reports, categories, replace)
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Imported {len(reports)} report(s)"))

    def _import(self, reports, categories, replace):
        for report in reports:
            counts = import_report(report, categories, replace=replace)
            if not report.sections:
                self.stdout.write(f"  {report.date.isoformat()}: empty report, skipped")
                continue
            details = ", ".join(f"{key} {value}" for key, value in counts.items())
            self.stdout.write(f"  {report.date.isoformat()}: {details}")
