"""The ingest stage: what arXiv announced on a day, stored, with how complete it is.

`ingest_day` does, for one announcement date:

1. The calendar first: a weekend or holiday gets the explicit "no announcement" state (as does
   a day whose listing arXiv left empty), never an empty or repeated digest.
2. The listing from the source (`DIGEST_SOURCE`). With "arxiv" a listing read before is reused,
   so an interrupted day resumes after rss.arxiv.org has moved on to the next one.
3. Metadata of the listed papers not yet stored at their listed version, by batches, and of the
   Hugging Face Daily Papers we lack. The listing is recorded on the digest first.
4. One transactional upsert, then the digest's papers (new and cross-listed ones, and the
   popular ones fetched for it) and its completeness counts: the day is complete when every
   listed paper is stored at its listed version.

A fetch that fails for good still stores what it got and records the counts, so the day shows
as incomplete, then raises `IncompleteDay`. A replaced paper we did not hold is stored with this
day as its `announced_on`, the first day we saw it, but it is not part of the day's digest.
"""

import datetime
import logging
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from digest.models import DailyDigest
from papers import arxiv_calendar, store
from papers.models import Paper
from papers.sources import KINDS, Announcement, Listing, PaperRecord, SourceError, bundled, quiet
from papers.sources.arxiv import Arxiv
from papers.sources.hf_daily import DailyPaper, DailyPapers

log = logging.getLogger(__name__)
SOURCES = ("bundled", "arxiv")
IN_DIGEST = ("new", "cross")  # replacements update papers announced on earlier days


class IncompleteDay(SourceError):
    """Part of the day is stored; `retryable` follows the fault that stopped the rest."""

    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable

    def __reduce__(self):
        # Celery pickles a task's exception (to the pool's parent, into a task's result); by
        # default only the message would be passed back, and Celery would then report a bare
        # SourceError instead of the day's incompleteness.
        return type(self), (str(self), self.retryable)


@dataclass
class IngestResult(store.Stored):
    """What the stage did: what it stored, and the day it stored it for."""

    with_upvotes: int = 0
    digest: DailyDigest | None = None
    no_announcement: str = ""  # why, when the day has none
    popularity_error: str = ""

    def counts(self) -> dict:
        if self.no_announcement:
            return {"no_announcement": self.no_announcement}
        digest = self.digest
        counts = {
            "listed": digest.announced,
            "created": self.created,
            "updated": self.updated,
            "revised": self.revised,
            "unchanged": self.unchanged,
            **{kind: getattr(digest, f"announced_{kind}") for kind in KINDS},
            "stored": digest.stored,
            "complete": digest.is_complete,
            "approximate": digest.approximate,
            "with_upvotes": self.with_upvotes,
        }
        if self.rejected:
            counts["rejected"] = self.rejected
        if self.popularity_error:
            counts["popularity_error"] = self.popularity_error
        return counts


def ingest_day(
    day: datetime.date,
    source: str | None = None,
    *,
    arxiv: Arxiv | None = None,
    daily_papers: DailyPapers | None = None,
    progress=quiet,
) -> IngestResult:
    """Read the day from `source` (default DIGEST_SOURCE) and store it; see the module doc.

    `arxiv` and `daily_papers` replace the clients built from settings.
    """
    source = source or settings.DIGEST_SOURCE
    if source not in SOURCES:
        raise SourceError(f"Unknown source {source!r}; sources: {', '.join(SOURCES)}.")
    if not arxiv_calendar.is_announcement_day(day):
        return _no_announcement(day, arxiv_calendar.no_announcement_reason(day))

    popularity_error = ""
    if source == "bundled":
        recorded = bundled.load_day(day)
        listing, popularity, arxiv = recorded.listing(day), recorded.popularity, None
    else:
        arxiv = arxiv or Arxiv.from_settings()
        listing = _recorded_listing(day) or arxiv.listing(day, progress)
        popularity, popularity_error = _popularity(daily_papers or DailyPapers.from_settings(), day)
    if not listing.announcements:
        return _no_announcement(day, "arXiv's listing of this date is empty (an arXiv holiday)")
    progress(_describe(listing))

    held = store.held([a.key for a in listing.announcements] + [p.arxiv_id for p in popularity])
    known = held.keys() | {a.key for a in listing.announcements}
    popular = [p.arxiv_id for p in popularity if p.arxiv_id not in known]
    records, failure = list(listing.papers.values()), None
    if arxiv:
        fetched, failure = _fetch(day, listing, held, popular, arxiv, progress)
        records += fetched

    with transaction.atomic():
        result = IngestResult(**vars(store.store_papers(records, announced_on=day)))
        held |= {store.key(p): (p.pk, p.version) for p in result.papers}
        result.with_upvotes = store.apply_popularity(popularity, held)
        keys = [a.key for a in listing.announcements if a.kind in IN_DIGEST] + popular
        linked = [held[key][0] for key in keys if key in held]
        result.digest = _record(day, listing, held, papers=linked, done=failure is None)
    result.popularity_error = popularity_error
    if failure:
        digest = result.digest
        raise IncompleteDay(
            f"{day.isoformat()} is incomplete: {digest.stored} of {digest.announced} listed "
            f"papers stored ({failure})",
            retryable=failure.retryable,
        ) from failure
    return result


def _no_announcement(day: datetime.date, reason: str) -> IngestResult:
    """Mark the day as one without an announcement; readers see it as such."""
    with transaction.atomic():
        digest, _ = DailyDigest.objects.select_for_update().get_or_create(date=day)
        if digest.papers.exists():
            raise SourceError(
                f"{day.isoformat()} has papers, yet {reason}: check DIGEST_ARXIV_HOLIDAYS."
            )
        digest.status = DailyDigest.Status.NO_ANNOUNCEMENT
        digest.listing, digest.approximate = [], False
        for kind in KINDS:
            setattr(digest, f"announced_{kind}", 0)
            setattr(digest, f"stored_{kind}", 0)
        digest.published_at = digest.published_at or timezone.now()
        digest.save()
    return IngestResult(digest=digest, no_announcement=reason)


def _recorded_listing(day: datetime.date) -> Listing | None:
    digest = DailyDigest.objects.filter(date=day).only("listing", "approximate").first()
    if digest is None or not digest.listing:
        return None
    announcements = [Announcement(key, version, kind) for key, version, kind in digest.listing]
    return Listing(day, announcements, approximate=digest.approximate)


def _popularity(daily_papers: DailyPapers, day: datetime.date) -> tuple[list[DailyPaper], str]:
    """Hugging Face's page of the announcement's own (US Eastern) date, filled while that
    announcement is read. Popularity is a bonus: its failure is reported, not fatal."""
    try:
        return daily_papers.fetch(arxiv_calendar.announced_at(day).date()), ""
    except SourceError as exc:
        log.warning("popularity of %s unavailable: %s", day, exc)
        return [], str(exc)


def _fetch(
    day: datetime.date,
    listing: Listing,
    held: dict[str, tuple[int, int]],
    popular: list[str],
    arxiv: Arxiv,
    progress,
) -> tuple[list[PaperRecord], SourceError | None]:
    """Metadata of the listed papers not stored at their listed version, and of the popular
    ones we lack; what arrived before a fault that outlasted the retries, and that fault."""
    wanted = [
        a.key
        for a in listing.announcements
        if a.key not in listing.papers and held.get(a.key, (0, 0))[1] < a.version
    ]
    records: list[PaperRecord] = []
    if not wanted + popular:
        return records, None
    _record(day, listing, held)  # the listing and counts are kept whatever happens next
    progress(f"fetching {len(wanted)} listed and {len(popular)} popular papers from arXiv")
    popular_ids = set(popular)
    try:
        for batch in arxiv.papers(wanted + popular, progress):
            for record in batch:
                if record.arxiv_id in popular_ids:
                    record.source = Paper.Source.HF_DAILY
            records += batch
    except SourceError as exc:
        return records, exc
    return records, None


def _record(
    day: datetime.date,
    listing: Listing,
    held: dict[str, tuple[int, int]],
    papers: list[int] | None = None,
    done: bool = False,
) -> DailyDigest:
    """The listing and its completeness counts on the day's digest; with `papers`, its papers."""
    digest, _ = DailyDigest.objects.get_or_create(date=day)
    digest.listing = [[a.key, a.version, a.kind] for a in listing.announcements]
    digest.approximate = listing.approximate
    announced = Counter(a.kind for a in listing.announcements)
    stored = Counter(
        a.kind for a in listing.announcements if held.get(a.key, (0, 0))[1] >= a.version
    )
    for kind in KINDS:
        setattr(digest, f"announced_{kind}", announced[kind])
        setattr(digest, f"stored_{kind}", stored[kind])
    if done:
        digest.status = DailyDigest.Status.INGESTED
    digest.save()
    if papers is not None:
        digest.papers.set(papers)
    return digest


def _describe(listing: Listing) -> str:
    kinds = ", ".join(f"{kind} {count}" for kind, count in listing.counts().items())
    note = " (approximate: from submission dates)" if listing.approximate else ""
    total = len(listing.announcements)
    return f"listing of {listing.day.isoformat()}: {total} papers, {kinds}{note}"
