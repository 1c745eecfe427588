"""The daily pipeline: ingest -> classify -> summarise -> publish, each stage idempotent per date.

The stages' bodies, run one at a time by `run_stage` under the claim of digest/runs.py, which
records their counts or error and says where a day resumes. Celery tasks (digest.tasks), the
`build_digest` and `backfill` commands all call these functions.
"""

import datetime
from collections.abc import Callable

from django.utils import timezone

from digest import chart, signals
from digest.ingest import ingest_day
from digest.models import DailyDigest
from digest.runs import PipelineError, Stage, execute, start
from papers.assignment import assign_categories
from papers.models import Category, Paper
from papers.related import relate
from summaries.briefs import write_briefs
from summaries.services import summarise_digest

BRIEF_FIELDS = ("arxiv_id", "abs_url", "version", "title", "abstract")  # what a TL;DR reads


def ingest(day: datetime.date, **options) -> dict:
    """Store the day's papers and how complete they are, or mark a day without an announcement
    as such (digest.ingest); `options` go to `ingest_day`. Then the related papers of the
    day's new and revised papers (papers.related)."""
    result = ingest_day(day, **options)
    counts = result.counts()
    if not result.no_announcement:
        counts |= relate(result.digest.papers.only("title", "abstract", "revised_at"))
    return counts


def classify(day: datetime.date) -> dict:
    digest = _digest(day, after=Stage.INGEST)
    counts = assign_categories(Paper.objects.filter(digests=digest))
    _advance(digest, DailyDigest.Status.CLASSIFIED)
    return counts


def retry_briefs(day: datetime.date) -> dict:
    """The retry pass of the TL;DRs the summarise stage left empty (rejected twice, or Claude
    failed): written again, and the day's pages refreshed when any was."""
    digest = _digest(day, after=Stage.SUMMARISE)
    pending = digest.papers.filter(briefs__needs_retry=True).distinct().only(*BRIEF_FIELDS)
    counts = write_briefs(pending)
    if counts["briefs_written"]:
        digest.save(update_fields=["updated_at"])  # a new page generation shows them
    return counts


def summarise(day: datetime.date) -> dict:
    digest = _digest(day, after=Stage.CLASSIFY)
    counts = summarise_digest(digest)
    counts |= write_briefs(digest.papers.only(*BRIEF_FIELDS))  # every paper's one-line TL;DR
    _advance(digest, DailyDigest.Status.SUMMARISED)
    return counts


# The summarise stage in parallel (digest.tasks): one share per category of the day, then
# `finish_summarise` under the stage's claim.
def summary_categories(day: datetime.date) -> list[int]:
    """The categories of the day's papers, one share each."""
    papers = Paper.objects.filter(digests__date=day, category__isnull=False)
    return list(papers.order_by("category").values_list("category", flat=True).distinct())


def summarise_share(day: datetime.date, category_id: int) -> dict:
    """The summaries of one of the day's categories."""
    digest = _digest(day, after=Stage.CLASSIFY)
    return summarise_digest(digest, categories=[Category.objects.get(pk=category_id)])


def finish_summarise(day: datetime.date, shares: list[dict]) -> dict:
    """Close the stage after its shares: fail if one failed (what the others wrote stays), else
    remove the summaries of categories left without papers and add the shares' counts up."""
    errors = [share["error"] for share in shares if "error" in share]
    if errors:
        raise PipelineError(
            f"{len(errors)} of {len(shares)} categories failed: {'; '.join(errors)}"
        )
    digest = _digest(day, after=Stage.CLASSIFY)
    stale = Category.objects.filter(summaries__digest=digest).exclude(
        pk__in=digest.papers.values("category")
    )
    counts = {}
    for share in [*shares, summarise_digest(digest, categories=list(stale.distinct()))]:
        for key, value in share.items():  # numbers add up; anything else is the same each time
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            counts[key] = counts.get(key, 0) + value if numeric else value
    counts |= write_briefs(digest.papers.only(*BRIEF_FIELDS))  # every paper's TL;DR, once
    _advance(digest, DailyDigest.Status.SUMMARISED)
    return counts


def publish(day: datetime.date) -> dict:
    """Compute the chart and make the day visible; the first publication time is kept."""
    digest = _digest(day, after=Stage.SUMMARISE)
    papers = list(digest.papers.select_related("category"))
    if not papers:
        raise PipelineError(f"The digest of {day.isoformat()} has no papers to publish.")
    digest.chart = chart.distribution(papers)
    digest.published_at = digest.published_at or timezone.now()
    digest.status = DailyDigest.Status.PUBLISHED
    digest.save(update_fields=["chart", "published_at", "status", "updated_at"])
    signals.day_published.send(sender=DailyDigest, digest=digest)
    return {"papers": len(papers), "categories": len(digest.chart)}


STAGES: dict[str, Callable[[datetime.date], dict]] = {
    Stage.INGEST: ingest,
    Stage.CLASSIFY: classify,
    Stage.SUMMARISE: summarise,
    Stage.PUBLISH: publish,
}


def run_stage(day: datetime.date, stage: str, *, resume: bool = False) -> dict | None:
    """Run one stage for one date under its claim; returns the stage's counts.

    With `resume`, a stage that is already done (see `next_stage`) is not run again and None is
    returned, so a repeated trigger, the retry pass or a backfill continues where the day stopped.
    """
    run = start(day, stage, resume=resume)
    return None if run is None else execute(run, lambda: STAGES[stage](day))


def build_digest(day: datetime.date, progress: Callable[[str, dict], None] | None = None) -> None:
    """Run every stage in order; `progress(stage, counts)` is called after each."""
    for stage in STAGES:
        counts = run_stage(day, stage)
        if progress:
            progress(stage, counts)
        if "no_announcement" in counts:
            break  # nothing to classify, summarise or publish


def _digest(day: datetime.date, after: str) -> DailyDigest:
    try:
        digest = DailyDigest.objects.get(date=day)
    except DailyDigest.DoesNotExist:
        raise PipelineError(f"No digest for {day.isoformat()} yet: run {after} first.") from None
    if not digest.has_announcement:
        raise PipelineError(f"arXiv made no announcement on {day.isoformat()}: nothing to do.")
    return digest


def _advance(digest: DailyDigest, status: str) -> None:
    digest.status = status
    digest.save(update_fields=["status", "updated_at"])
