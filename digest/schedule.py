"""Which days the scheduled runs build: the announcement arXiv has just published, and the
recent announcement days that did not finish."""

import datetime

from digest import pipeline
from papers import calendar


def latest_announcement_day(now: datetime.datetime) -> datetime.date:
    """The date of the latest announcement that had gone out by `now`."""
    day = now.astimezone(calendar.EASTERN).date() + calendar.ONE_DAY
    if not calendar.is_announcement_day(day) or calendar.announced_at(day) > now:
        day = calendar.previous_announcement_day(day)
    return day


def unfinished_days(now: datetime.datetime, count: int) -> list[tuple[datetime.date, str]]:
    """The last `count` announcement days that are not done, oldest first, each with the
    first stage it has to resume from."""
    days = [latest_announcement_day(now)]
    while len(days) < count:
        days.append(calendar.previous_announcement_day(days[-1]))
    resume = [(day, pipeline.next_stage(day)) for day in reversed(days)]
    return [(day, stage) for day, stage in resume if stage is not None]
