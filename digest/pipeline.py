"""The daily pipeline: ingest -> classify -> summarise -> publish, each stage idempotent per date.

Every stage runs through `run_stage`, which claims the (date, stage) pair by inserting a running
`PipelineRun` (a unique constraint makes the claim atomic), records counts or the error, and
re-raises failures. Celery tasks and the `build_digest` command both call these functions.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from digest import chart
from digest.models import DailyDigest, PipelineRun
from papers.classify import classify_papers
from papers.ingest import ingest_day
from papers.models import Paper
from summaries.services import summarise_digest

log = logging.getLogger(__name__)
Stage = PipelineRun.Stage


class PipelineError(Exception):
    """A stage cannot run; the message is meant for the operator."""


class StageBusy(PipelineError):
    """Another worker holds the claim on this date and stage."""


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


def ingest(day: datetime.date, **options) -> dict:
    """Store the day's papers and how complete they are, or mark a day without an announcement
    as such (papers.ingest); `options` go to `ingest_day`."""
    return ingest_day(day, **options).counts()


def classify(day: datetime.date) -> dict:
    digest = _digest(day, after=Stage.INGEST)
    counts = classify_papers(Paper.objects.filter(digests=digest))
    _advance(digest, DailyDigest.Status.CLASSIFIED)
    return counts


def summarise(day: datetime.date) -> dict:
    digest = _digest(day, after=Stage.CLASSIFY)
    counts = summarise_digest(digest)
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
    return {"papers": len(papers), "categories": len(digest.chart)}


STAGES: dict[str, Callable[[datetime.date], dict]] = {
    Stage.INGEST: ingest,
    Stage.CLASSIFY: classify,
    Stage.SUMMARISE: summarise,
    Stage.PUBLISH: publish,
}


def run_stage(day: datetime.date, stage: str) -> dict:
    """Run one stage for one date under its claim; returns the stage's counts."""
    run = _claim(day, stage)
    try:
        counts = STAGES[stage](day)
    except Exception as exc:
        run.status, run.error = PipelineRun.Status.FAILED, f"{type(exc).__name__}: {exc}"
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        log.warning("stage %s for %s failed: %s", stage, day, run.error)
        raise
    run.status, run.counts, run.finished_at = PipelineRun.Status.SUCCEEDED, counts, timezone.now()
    run.save(update_fields=["status", "counts", "finished_at"])
    log.info("stage %s for %s succeeded: %s", stage, day, counts)
    return counts


def build_digest(day: datetime.date, progress: Callable[[str, dict], None] | None = None) -> None:
    """Run every stage in order; `progress(stage, counts)` is called after each."""
    for stage in STAGES:
        counts = run_stage(day, stage)
        if progress:
            progress(stage, counts)
        if "no_announcement" in counts:
            break  # nothing to classify, summarise or publish


def _claim(day: datetime.date, stage: str) -> PipelineRun:
    """Insert the running row; a claim older than the stage timeout is taken to be abandoned."""
    if stage not in STAGES:
        raise PipelineError(f"Unknown stage {stage!r}; stages: {', '.join(STAGES)}.")
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.DIGEST_STAGE_TIMEOUT)
    PipelineRun.objects.filter(
        date=day, stage=stage, status=PipelineRun.Status.RUNNING, started_at__lt=cutoff
    ).update(
        status=PipelineRun.Status.FAILED,
        finished_at=timezone.now(),
        error="Abandoned: no result within the stage timeout.",
    )
    try:
        with transaction.atomic():
            return PipelineRun.objects.create(date=day, stage=stage)
    except IntegrityError:
        raise StageBusy(f"{stage} for {day.isoformat()} is already running.") from None


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
