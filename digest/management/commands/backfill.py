"""Build every announcement day in a date range, in this process, resuming where it stopped.

Stages already done for a day are skipped (`runs.next_stage`), so running the same command
again after an interruption or a failure continues from there. Ingestion decides how a past day
is fetched; between days that reached the source the command pauses, to stay polite to arXiv.
"""

import datetime
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from digest import pipeline, runs
from digest.management.day_command import command_errors, parse_day
from papers import arxiv_calendar

BAR_WIDTH = 20


class Command(BaseCommand):
    help = "Build the digests of every announcement day from --from to --to (YYYY-MM-DD)."

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="first", required=True, help="First date, YYYY-MM-DD.")
        parser.add_argument("--to", dest="last", required=True, help="Last date, YYYY-MM-DD.")
        parser.add_argument(
            "--pause",
            type=float,
            default=settings.DIGEST_ARXIV_INTERVAL,
            help="Seconds to wait after a day that reached the source (default: arXiv's "
            "interval between requests, DIGEST_ARXIV_INTERVAL).",
        )

    def handle(self, *args, first, last, pause, **options):
        with command_errors():
            first, last = parse_day(first), parse_day(last)
        if first > last:
            raise CommandError(f"--from {first} is after --to {last}.")
        if pause < 0:
            raise CommandError("--pause cannot be negative.")
        span = [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]
        days = [day for day in span if arxiv_calendar.is_announcement_day(day)]
        self.stdout.write(
            f"Backfilling {len(days)} announcement days from {first} to {last} "
            f"(no announcement on {len(span) - len(days)} of the {len(span)} dates)"
        )
        failed = []
        for number, day in enumerate(days, 1):
            self.stdout.write(f"{_bar(number, len(days))} {day}", ending="")
            started = time.monotonic()
            try:
                fetched = self._build(day)
            except runs.StageBusy as exc:
                self.stdout.write(self.style.WARNING(f"  skipped: {exc}"))
                continue
            except KeyboardInterrupt:
                raise CommandError(
                    f"Interrupted at {day}; run the same command again to resume."
                ) from None
            except Exception as exc:
                failed.append(day)
                self.stdout.write(self.style.ERROR(f"  failed: {type(exc).__name__}: {exc}"))
                if runs.is_transient(exc):
                    raise CommandError(
                        f"Stopped at {day} on an error that may pass; the days after it would "
                        "likely meet it too. Run the same command later to resume."
                    ) from exc
                continue
            self.stdout.write(f"  ({time.monotonic() - started:.1f} s)")
            if fetched and number < len(days):
                time.sleep(pause)
        if failed:
            raise CommandError(
                f"{len(failed)} of {len(days)} days failed ({', '.join(map(str, failed))}); "
                "the reasons are in the run history. Run the same command again to resume."
            )
        self.stdout.write(self.style.SUCCESS(f"Backfilled {len(days)} days."))

    def _build(self, day: datetime.date) -> bool:
        """Run the day's stages that are not done; True if ingest ran (it reached the source)."""
        fetched = False
        for stage in pipeline.STAGES:
            counts = pipeline.run_stage(day, stage, resume=True)
            if counts is None:
                self.stdout.write(f"  {stage} done already", ending="")
                continue
            fetched |= stage == pipeline.Stage.INGEST
            self.stdout.write(f"  {stage} {_summary(counts)}", ending="")
        return fetched


def _bar(done: int, total: int) -> str:
    filled = round(BAR_WIDTH * done / total)
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}"


def _summary(counts: dict) -> str:
    return " ".join(f"{key} {value}" for key, value in counts.items())
