"""Which days the scheduled runs build: the date of the announcement arXiv has just made (or
would have made: a holiday gets its "no announcement" state), the recent announcement days
that did not finish, and any day whose rebuild an editor asked for while the task queue was
down."""

import datetime

from digest import runs
from papers import arxiv_calendar
from summaries.models import PaperBrief


def evening_date(now: datetime.datetime) -> datetime.date:
    """The date of the latest 20:00 US Eastern announcement slot by `now`, announced or not."""
    eastern = now.astimezone(arxiv_calendar.EASTERN)
    passed = eastern.time() >= arxiv_calendar.ANNOUNCED_AT
    return eastern.date() + arxiv_calendar.ONE_DAY if passed else eastern.date()


def latest_announcement_day(now: datetime.datetime) -> datetime.date:
    """The date of the latest announcement that had gone out by `now`."""
    day = evening_date(now)
    return (
        day
        if arxiv_calendar.is_announcement_day(day)
        else arxiv_calendar.previous_announcement_day(day)
    )


def unfinished_days(now: datetime.datetime, count: int) -> list[tuple[datetime.date, str]]:
    """The last `count` announcement days that are not done, oldest first, each with the
    first stage it has to resume from."""
    days = [latest_announcement_day(now)]
    while len(days) < count:
        days.append(arxiv_calendar.previous_announcement_day(days[-1]))
    resume = [(day, runs.next_stage(day)) for day in reversed(days)]
    return [(day, stage) for day, stage in resume if stage is not None]


def days_to_resume(now: datetime.datetime, count: int) -> list[tuple[datetime.date, str]]:
    """The retry pass's days: `unfinished_days`, then the days of any age whose stage could not
    be queued (an editor's correction while the broker was down, `runs.record_not_queued`)."""
    days = unfinished_days(now, count)
    seen = {day for day, _ in days}
    return days + [(day, stage) for day, stage in runs.not_queued_days() if day not in seen]


def days_with_pending_briefs(now: datetime.datetime, count: int) -> list[datetime.date]:
    """The last `count` announcement days with TL;DRs waiting for the retry pass, oldest first."""
    days = [latest_announcement_day(now)]
    while len(days) < count:
        days.append(arxiv_calendar.previous_announcement_day(days[-1]))
    pending = PaperBrief.objects.filter(needs_retry=True, paper__digests__date__in=days)
    return sorted(set(pending.values_list("paper__digests__date", flat=True)) & set(days))
