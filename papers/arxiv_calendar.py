"""arXiv's announcement calendar.

arXiv announces new papers Sunday to Thursday at 20:00 US Eastern, and none on Friday and
Saturday evenings or on its holidays. An announcement is dated by arXiv (on its listing pages
and in the RSS `pubDate`) with the next calendar day, Monday to Friday: 2025-05-27 is the
announcement that went out on Monday 26 May at 20:00 US Eastern (Tuesday 09:00 in Seoul). That
date is the digest's date everywhere in this project.

Each announcement carries the submissions received before the last 14:00 US Eastern deadline
ahead of it, since the deadline of the announcement before.
"""

import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

EASTERN = ZoneInfo("America/New_York")
ANNOUNCED_AT = datetime.time(20, 0)
DEADLINE = datetime.time(14, 0)
ONE_DAY = datetime.timedelta(days=1)


def holidays() -> set[datetime.date]:
    return {datetime.date.fromisoformat(day) for day in settings.DIGEST_ARXIV_HOLIDAYS}


def is_announcement_day(day: datetime.date) -> bool:
    """Whether arXiv publishes an announcement dated `day`."""
    return day.weekday() < 5 and day not in holidays()


def no_announcement_reason(day: datetime.date) -> str:
    """Why `day` has no announcement, for people; empty when it has one."""
    if day.weekday() >= 5:
        return f"arXiv makes no announcement dated a {day.strftime('%A')}"
    if day in holidays():
        return "an arXiv holiday"
    return ""


def announced_at(day: datetime.date) -> datetime.datetime:
    """When the announcement dated `day` goes out: 20:00 US Eastern the evening before."""
    return datetime.datetime.combine(day - ONE_DAY, ANNOUNCED_AT, tzinfo=EASTERN)


def previous_announcement_day(day: datetime.date) -> datetime.date:
    day -= ONE_DAY
    while not is_announcement_day(day):
        day -= ONE_DAY
    return day


def submission_window(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The submissions (by time received, UTC) that the announcement dated `day` carries.

    Approximate: papers put on hold, or reclassified, are announced later than their window.
    """
    return _deadline(previous_announcement_day(day)), _deadline(day)


def _deadline(day: datetime.date) -> datetime.datetime:
    """The last 14:00 US Eastern on a weekday before the announcement dated `day` went out."""
    evening = day - ONE_DAY
    while evening.weekday() >= 5:
        evening -= ONE_DAY
    return datetime.datetime.combine(evening, DEADLINE, tzinfo=EASTERN).astimezone(datetime.UTC)
