"""What the day commands share: the date argument, its parsing, timed progress lines, and one
error contract (a pipeline or source error is a one-line CommandError with a non-zero exit)."""

import datetime
import time
from contextlib import contextmanager

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from digest.runs import PipelineError
from papers.sources import SourceError


def parse_day(text: str) -> datetime.date:
    """A digest date from user input: YYYY-MM-DD, a real date, not in the future."""
    try:
        day = datetime.date.fromisoformat(text.strip())
    except ValueError:
        raise PipelineError(
            f"Invalid date {text!r}: expected YYYY-MM-DD, e.g. 2025-05-27."
        ) from None
    if day > timezone.localdate():
        raise PipelineError(f"{day.isoformat()} is in the future; nothing has been announced yet.")
    return day


class DayCommand(BaseCommand):
    """A command for one announcement date: subclasses write `handle_day(day, **options)`."""

    date_help = "Announcement date, YYYY-MM-DD."

    def add_arguments(self, parser):
        parser.add_argument("date", help=self.date_help)

    def handle(self, *args, date, **options):
        self.started = time.monotonic()
        with command_errors():
            self.handle_day(parse_day(date), **options)

    def handle_day(self, day: datetime.date, **options) -> None:
        raise NotImplementedError

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def progress(self, message: str) -> None:
        self.stdout.write(f"  {self.elapsed():5.1f} s  {message}")


@contextmanager
def command_errors():
    """The pipeline's and the sources' errors as a CommandError with their message."""
    try:
        yield
    except (PipelineError, SourceError) as exc:
        raise CommandError(str(exc)) from exc
