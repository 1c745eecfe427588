"""The scheduled popularity refresh: Hugging Face upvotes, comments and GitHub stars of the
papers of the last announcement days, read again each announcement day, with a snapshot per
paper and refresh day so the rising list (reader.pages.rising_page) can rank what each paper
gained since the refresh before.

Idempotent: a second refresh on the same day overwrites that day's figures and snapshots. A day
whose Hugging Face page cannot be read is reported and skipped; the others are still stored.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from digest.models import PopularitySnapshot
from digest.schedule import latest_announcement_day
from digest.signals import popularity_refreshed
from papers import arxiv_calendar, store
from papers.models import Paper
from papers.sources import SourceError
from papers.sources.hf_daily import DailyPaper, DailyPapers

log = logging.getLogger(__name__)
DAYS = 7  # announcement days refreshed
KEEP_DAYS = 30  # snapshots older than this many days before the refresh are deleted


@dataclass
class Refreshed:
    day: datetime.date  # the refresh's day, the key of its snapshots
    days: list[datetime.date] = field(default_factory=list)  # announcement days read
    listed: int = 0  # papers Hugging Face listed on those days
    updated: int = 0  # of them, papers we hold, whose figures were written
    errors: dict[str, str] = field(default_factory=dict)  # day: why it was skipped

    def counts(self) -> dict:
        counts = {"day": self.day.isoformat(), "listed": self.listed, "updated": self.updated}
        if self.errors:
            counts["errors"] = self.errors
        return counts


def recent_days(latest: datetime.date, count: int = DAYS) -> list[datetime.date]:
    """`latest` and the announcement days before it, `count` in all, newest first."""
    days = [latest]
    while len(days) < count:
        days.append(arxiv_calendar.previous_announcement_day(days[-1]))
    return days


def refresh_popularity(
    now: datetime.datetime | None = None,
    *,
    daily_papers: DailyPapers | None = None,
    days: int = DAYS,
) -> Refreshed:
    """Read Hugging Face's pages of the last `days` announcement days and store the figures of
    the papers we hold, with today's snapshot of them. `daily_papers` replaces the client built
    from settings (tests swap its transport)."""
    today = latest_announcement_day(now or timezone.now())
    daily_papers = daily_papers or DailyPapers.from_settings()
    result = Refreshed(day=today)
    figures: dict[str, DailyPaper] = {}
    for day in recent_days(today, days):
        result.days.append(day)
        try:
            # Hugging Face's page of the announcement's own (US Eastern) date, as ingest reads.
            listed = daily_papers.fetch(arxiv_calendar.announced_at(day).date())
        except SourceError as exc:
            log.warning("popularity of %s not refreshed: %s", day, exc)
            result.errors[day.isoformat()] = str(exc)
            continue
        for paper in listed:
            figures.setdefault(paper.arxiv_id, paper)  # a paper on two pages: the newer one
    result.listed = len(figures)
    popularity = list(figures.values())
    held = store.held(list(figures))
    with transaction.atomic():
        result.updated = store.apply_popularity(popularity, held)
        PopularitySnapshot.objects.bulk_create(
            [
                PopularitySnapshot(
                    paper_id=held[p.arxiv_id][0], day=today, upvotes=p.upvotes, stars=p.github_stars
                )
                for p in popularity
                if p.arxiv_id in held
            ],
            update_conflicts=True,
            unique_fields=["paper", "day"],
            update_fields=["upvotes", "stars"],
            batch_size=500,
        )
        PopularitySnapshot.objects.filter(day__lt=today - datetime.timedelta(KEEP_DAYS)).delete()
        Paper.objects.filter(pk__in=[pk for pk, _ in held.values()]).update(
            updated_at=timezone.now()
        )
        transaction.on_commit(lambda: popularity_refreshed.send(sender=Refreshed, day=today))
    return result
