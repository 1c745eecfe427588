"""The daily pipeline: ingest -> classify -> summarise -> publish, each stage idempotent per date.

Every stage runs through `run_stage`, which claims the (date, stage) pair by inserting a running
`PipelineRun` (a unique constraint makes the claim atomic), records counts or the error, and
re-raises failures. The run history says where a day resumes (`next_stage`): a stage that failed
keeps what it stored, and the next run continues from there. Celery tasks (digest.tasks), the
`build_digest` and `backfill` commands all call these functions.
"""

import datetime
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import (
    DatabaseError,
    IntegrityError,
    InterfaceError,
    OperationalError,
    connection,
    transaction,
)
from django.utils import timezone

from digest import chart
from digest.models import DailyDigest, PipelineRun
from papers.assignment import assign_categories
from papers.ingest import ingest_day
from papers.models import Category, Paper
from summaries.models import CategorySummary
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
    counts = assign_categories(Paper.objects.filter(digests=digest))
    _advance(digest, DailyDigest.Status.CLASSIFIED)
    return counts


def summarise(day: datetime.date) -> dict:
    digest = _digest(day, after=Stage.CLASSIFY)
    counts = summarise_digest(digest)
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


def run_stage(day: datetime.date, stage: str, *, resume: bool = False) -> dict | None:
    """Run one stage for one date under its claim; returns the stage's counts.

    With `resume`, a stage that is already done (see `next_stage`) is not run again and None is
    returned, so a repeated trigger, the retry pass or a backfill continues where the day stopped.
    """
    run = start(day, stage, resume=resume)
    return None if run is None else execute(run, lambda: STAGES[stage](day))


def start(day: datetime.date, stage: str, *, resume: bool = False) -> PipelineRun | None:
    """Claim the stage; with `resume`, None (and no claim) when the stage is done already."""
    run = claim(day, stage)
    # Checked under the claim, so a run that finished a moment ago is seen, never repeated.
    if resume and is_done(day, stage):
        run.delete()
        log.info("stage %s for %s is done already", stage, day, extra=_context(day, stage))
        return None
    return run


def execute(run: PipelineRun, work: Callable[[], dict]) -> dict:
    """Do the claimed stage's `work` and record its counts, or why it failed."""
    try:
        counts = work()
    except BaseException as exc:  # an interrupted stage (Ctrl-C, shutdown) releases its claim too
        fail(run, exc)
        raise
    succeed(run, counts)
    return counts


def build_digest(day: datetime.date, progress: Callable[[str, dict], None] | None = None) -> None:
    """Run every stage in order; `progress(stage, counts)` is called after each."""
    for stage in STAGES:
        counts = run_stage(day, stage)
        if progress:
            progress(stage, counts)
        if "no_announcement" in counts:
            break  # nothing to classify, summarise or publish


def claim(day: datetime.date, stage: str) -> PipelineRun:
    """Insert the running row; a claim older than the stage timeout is taken to be abandoned.

    The timeout is the Celery hard time limit, and the broker redelivers a dead worker's task
    only after a longer visibility timeout, so a redelivered stage always finds its old claim
    abandoned and takes it over.
    """
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


def succeed(run: PipelineRun, counts: dict) -> None:
    _finish(run, status=PipelineRun.Status.SUCCEEDED, counts=counts)
    log.info(
        "stage %s for %s succeeded: %s",
        run.stage,
        run.date,
        counts,
        extra=_context(run.date, run.stage, counts=counts, seconds=_seconds(run)),
    )


def fail(run: PipelineRun, exc: BaseException) -> None:
    """Record why the stage failed; what it stored before failing stays (each write commits)."""
    error = ": ".join(filter(None, (type(exc).__name__, str(exc))))
    try:
        _finish(run, status=PipelineRun.Status.FAILED, error=error)
    except DatabaseError:
        # The failure may be the database connection itself: record it on a fresh one, or the
        # claim would hold off the retry until it times out.
        connection.close_if_unusable_or_obsolete()
        _finish(run, status=PipelineRun.Status.FAILED, error=error)
    log.warning(
        "stage %s for %s failed: %s",
        run.stage,
        run.date,
        run.error,
        extra=_context(run.date, run.stage, error=run.error, seconds=_seconds(run)),
    )


def next_stage(day: datetime.date) -> str | None:
    """The first stage of the day that is not done, or None when every stage is.

    A stage is done when its latest finished run succeeded and started after the stage before
    it last succeeded: it has seen its current input. An ingest that stored less than the day's
    listing announced is not done, though the stages after it may run on what it stored; nor is
    a summarise that left summaries marked for regeneration (Claude was down and the offline
    summary stood in, or an editor moved a paper), so the retry pass writes them again.
    Anything after a stage that is not done is not done either.
    """
    latest = {}
    finished = PipelineRun.objects.filter(date=day).exclude(status=PipelineRun.Status.RUNNING)
    for run in finished.order_by("-started_at"):
        latest.setdefault(run.stage, run)
    before = None
    for stage in STAGES:
        run = latest.get(stage)
        if run is None or run.status != PipelineRun.Status.SUCCEEDED:
            return stage
        if before is not None and run.started_at < before.finished_at:
            return stage
        if "no_announcement" in run.counts:
            return None  # nothing to classify, summarise or publish
        if run.counts.get("complete") is False:
            return stage  # stored short of the listing: the next run fetches the rest
        if stage == Stage.SUMMARISE and _has_stale_summaries(day):
            return stage
        before = run
    return None


def _has_stale_summaries(day: datetime.date) -> bool:
    """Summaries a summarise run would write again (an editor's locked ones it never touches)."""
    stale = CategorySummary.objects.on_day(day).unlocked().filter(needs_regeneration=True)
    return stale.exists()


def is_done(day: datetime.date, stage: str) -> bool:
    pending = next_stage(day)
    order = list(STAGES)
    return pending is None or order.index(pending) > order.index(stage)


def is_transient(exc: BaseException) -> bool:
    """Whether running the stage again later may succeed.

    The adapters of outside services mark their errors with `retryable` (a 429, a 5xx, a
    timeout); a lost database or network connection is transient too. Anything else (bad
    data, a missing earlier stage, a bug) fails at once: retrying would only repeat it.
    """
    retryable = getattr(exc, "retryable", None)
    if retryable is not None:
        return bool(retryable)
    return isinstance(exc, OperationalError | InterfaceError | ConnectionError | TimeoutError)


def _finish(run: PipelineRun, **fields) -> None:
    """Close the claim, unless another worker has meanwhile taken it over as abandoned."""
    fields["finished_at"] = timezone.now()
    closed = PipelineRun.objects.filter(pk=run.pk, status=PipelineRun.Status.RUNNING).update(
        **fields
    )
    for name, value in fields.items():
        setattr(run, name, value)
    if not closed:
        log.warning("stage %s for %s was taken over before it finished", run.stage, run.date)


def _seconds(run: PipelineRun) -> float | None:
    return round(run.duration.total_seconds(), 3) if run.duration else None


def _context(day: datetime.date, stage: str, **fields) -> dict:
    """Fields for structured logs."""
    return {"date": day.isoformat(), "stage": stage, **fields}


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
