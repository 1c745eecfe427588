"""The retry pass of the TL;DRs the summarise stage left empty (rejected twice, or Claude
failed): the scheduled run finds the recent days that have some and writes them again."""

import datetime
import types

import pytest

from digest import pipeline, schedule, tasks
from papers.arxiv_calendar import EASTERN
from summaries.models import PaperBrief
from tests.conftest import DEMO_DAY

# Noon in New York on the day: its announcement is the latest one.
NOW = datetime.datetime.combine(DEMO_DAY, datetime.time(12), tzinfo=EASTERN)


@pytest.fixture
def day_with_empty_tldrs(db, make_day):
    make_day(30)
    pipeline.build_digest(DEMO_DAY)
    pending = PaperBrief.objects.order_by("pk")[:3]
    PaperBrief.objects.filter(pk__in=[b.pk for b in pending]).update(
        text="", source="claude", needs_retry=True, retry_reason="rejected twice: …"
    )
    return DEMO_DAY


def test_the_retry_pass_writes_the_empty_tldrs_again(day_with_empty_tldrs, monkeypatch):
    assert schedule.days_with_pending_briefs(NOW, 3) == [DEMO_DAY]
    queued, triggered = [], []
    monkeypatch.setattr(tasks, "timezone", types.SimpleNamespace(now=lambda: NOW))
    monkeypatch.setattr(tasks, "trigger", lambda day, first=None: triggered.append(day))
    monkeypatch.setattr(tasks.retry_briefs, "delay", queued.append)

    tasks.resume_recent_days.apply()

    assert queued == [DEMO_DAY.isoformat()] and DEMO_DAY not in triggered  # the day is done
    counts = tasks.retry_briefs.apply(args=[DEMO_DAY.isoformat()]).get()
    assert counts["briefs_written"] == 3 and counts["briefs_unchanged"] == 0
    assert not PaperBrief.objects.filter(needs_retry=True).exists()
    assert not PaperBrief.objects.filter(text="").exists()
    assert schedule.days_with_pending_briefs(NOW, 3) == []
