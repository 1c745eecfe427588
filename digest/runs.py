"""Pipeline runs: the claim on a (date, stage), its outcome, and where a day resumes.

A stage runs under a claim: a running `PipelineRun` row, made atomic by a partial unique
constraint, so two workers never run the same stage of the same date. The run records the
stage's counts or its error; a failed stage keeps what it stored, and the run history says
where the day resumes (`next_stage`). `is_transient` tells a failure worth retrying later
from one that would only repeat.
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
from django.db.models import Exists, OuterRef
from django.utils import timezone

from digest.models import PipelineRun
from summaries.models import CategorySummary

log = logging.getLogger(__name__)
Stage = PipelineRun.Stage
ORDER = [str(stage) for stage in Stage]  # the stages in the order a day goes through them


class PipelineError(Exception):
    """A stage cannot run; the message is meant for the operator."""


class StageBusy(PipelineError):
    """Another worker holds the claim on this date and stage."""


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


def claim(day: datetime.date, stage: str) -> PipelineRun:
    """Insert the running row; a claim older than the stage timeout is taken to be abandoned.

    The timeout is the Celery hard time limit, and the broker redelivers a dead worker's task
    only after a longer visibility timeout, so a redelivered stage always finds its old claim
    abandoned and takes it over.
    """
    if stage not in ORDER:
        raise PipelineError(f"Unknown stage {stage!r}; stages: {', '.join(ORDER)}.")
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


NOT_QUEUED = "Not queued"  # how a run the task queue could not take begins its error


def record_not_queued(day: datetime.date, stage: str, exc: BaseException) -> PipelineRun:
    """Record in the run history that `stage` of `day` was to run but could not be queued (the
    broker was down): a failed run, so the day's next stage is this one again and the retry
    pass takes it up (`not_queued_days`)."""
    now = timezone.now()
    return PipelineRun.objects.create(
        date=day,
        stage=stage,
        status=PipelineRun.Status.FAILED,
        finished_at=now,
        error=f"{NOT_QUEUED}: {exc}",
    )


def not_queued_days() -> list[tuple[datetime.date, str]]:
    """Days with a stage that could not be queued and has not run since, each with the stage
    it resumes from, oldest first."""
    later = PipelineRun.objects.filter(
        date=OuterRef("date"),
        stage=OuterRef("stage"),
        status=PipelineRun.Status.SUCCEEDED,
        started_at__gt=OuterRef("finished_at"),
    )
    failed = PipelineRun.objects.filter(
        status=PipelineRun.Status.FAILED, error__startswith=NOT_QUEUED
    ).exclude(Exists(later))
    days = sorted(set(failed.values_list("date", flat=True)))
    return [(day, stage) for day in days if (stage := next_stage(day)) is not None]


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
    for stage in ORDER:
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
    return pending is None or ORDER.index(pending) > ORDER.index(stage)


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
