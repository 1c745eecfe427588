"""arXiv's announcement calendar: which dates have an announcement, when it goes out, and which
submissions it carries."""

import datetime

import pytest

from papers import arxiv_calendar

UTC = datetime.UTC


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2025-05-26", True),  # Monday: Sunday evening's announcement
        ("2025-05-27", True),  # the bundled real day
        ("2025-05-30", True),  # Friday: Thursday evening's
        ("2025-05-31", False),  # Saturday: nothing on Friday evening
        ("2025-06-01", False),  # Sunday: nothing on Saturday evening
        ("2025-12-31", False),  # holiday: rss.arxiv.org served an empty listing (fixtures)
        ("2026-01-01", False),
        ("2026-01-02", True),
    ],
)
def test_announcement_days(day, expected):
    assert arxiv_calendar.is_announcement_day(datetime.date.fromisoformat(day)) is expected


def test_the_holiday_list_is_a_setting(settings):
    day = datetime.date(2025, 7, 4)
    assert arxiv_calendar.is_announcement_day(day)
    settings.DIGEST_ARXIV_HOLIDAYS = [*settings.DIGEST_ARXIV_HOLIDAYS, "2025-07-04"]
    assert not arxiv_calendar.is_announcement_day(day)
    assert arxiv_calendar.no_announcement_reason(day) == "an arXiv holiday"


def test_reasons_name_the_weekday():
    assert arxiv_calendar.no_announcement_reason(datetime.date(2025, 5, 31)) == (
        "arXiv makes no announcement dated a Saturday"
    )
    assert arxiv_calendar.no_announcement_reason(datetime.date(2025, 5, 27)) == ""


@pytest.mark.parametrize(
    ("day", "eastern", "utc"),
    [
        # Summer time: 20:00 EDT is midnight UTC, 09:00 in Seoul.
        ("2025-05-27", "2025-05-26T20:00:00-04:00", "2025-05-27T00:00:00+00:00"),
        # Winter time: 20:00 EST is 01:00 UTC.
        ("2025-01-14", "2025-01-13T20:00:00-05:00", "2025-01-14T01:00:00+00:00"),
        # Monday's announcement goes out on Sunday evening.
        ("2025-05-26", "2025-05-25T20:00:00-04:00", "2025-05-26T00:00:00+00:00"),
    ],
)
def test_an_announcement_goes_out_at_20_eastern_the_evening_before(day, eastern, utc):
    moment = arxiv_calendar.announced_at(datetime.date.fromisoformat(day))
    assert moment == at(eastern) == at(utc)
    assert moment.isoformat() == eastern


@pytest.mark.parametrize(
    ("day", "start", "end"),
    [
        # Tuesday carries Friday 14:00 to Monday 14:00 (EDT).
        ("2025-05-27", "2025-05-23T18:00:00+00:00", "2025-05-26T18:00:00+00:00"),
        # Wednesday carries Monday to Tuesday.
        ("2025-05-28", "2025-05-26T18:00:00+00:00", "2025-05-27T18:00:00+00:00"),
        # Monday (announced on Sunday evening) carries Thursday to Friday.
        ("2025-05-26", "2025-05-22T18:00:00+00:00", "2025-05-23T18:00:00+00:00"),
        # After the holidays of 2025-12-31 and 2026-01-01, Friday's announcement carries
        # everything since the deadline before 2025-12-30's: Monday to Thursday (EST).
        ("2026-01-02", "2025-12-29T19:00:00+00:00", "2026-01-01T19:00:00+00:00"),
    ],
)
def test_submission_windows(day, start, end):
    window = arxiv_calendar.submission_window(datetime.date.fromisoformat(day))
    assert window == (at(start), at(end))
    assert all(moment.tzinfo == UTC for moment in window)


def test_submission_windows_tile_without_gaps():
    day = datetime.date(2025, 12, 1)
    previous_end = None
    while day < datetime.date(2026, 2, 1):
        if arxiv_calendar.is_announcement_day(day):
            start, end = arxiv_calendar.submission_window(day)
            assert start < end
            assert previous_end in (None, start)
            previous_end = end
        day += datetime.timedelta(days=1)


def test_previous_announcement_day_skips_weekends_and_holidays():
    assert arxiv_calendar.previous_announcement_day(datetime.date(2025, 5, 26)) == (
        datetime.date(2025, 5, 23)
    )
    assert arxiv_calendar.previous_announcement_day(datetime.date(2026, 1, 2)) == (
        datetime.date(2025, 12, 30)
    )
