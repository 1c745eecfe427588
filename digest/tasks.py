"""Celery tasks: thin wrappers that take an ISO date and call the pipeline's plain functions.

A day's pipeline is a chain of stage tasks. Each stage claims its run (`runs.claim`), so a
second trigger for the same date finds the claim taken and stops, while the holder's chain
carries the day on; a task redelivered after its worker died takes its abandoned claim over.
Stages already done are skipped, so any trigger resumes the day where it stopped. Transient
errors are retried with backoff and jitter; anything else fails the stage at once.
"""

import datetime
import logging
from contextlib import contextmanager

from celery import chain, chord, current_app, group, shared_task
from celery.exceptions import Ignore
from django.conf import settings
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from common.retry import Backoff
from digest import pipeline, popularity, runs, schedule
from digest.models import PipelineRun

log = logging.getLogger(__name__)
SUMMARISE = pipeline.Stage.SUMMARISE

# Retries of a transient failure: waits drawn from [d/2, d], d = min(10 min, 30 s * 2**n), under
# the broker's visibility timeout, after which a waiting task is redelivered.
RETRIES = 4
BACKOFF = Backoff(retries=RETRIES, base=30, cap=10 * 60)


class BrokerUnavailable(runs.PipelineError):
    """The task queue cannot be reached; nothing was queued."""


# The task keeps its name ("digest.tasks.run_stage"): queued messages and beat rows name it.
@shared_task(bind=True, max_retries=RETRIES, name="digest.tasks.run_stage")
def run_stage_task(self, day: str, stage: str, force: bool = False) -> dict | None:
    # Every stage is idempotent, so a task redelivered after a worker dies may simply run again.
    with _stage_outcome(self, day, stage):
        return pipeline.run_stage(datetime.date.fromisoformat(day), stage, resume=not force)


@shared_task(bind=True, max_retries=RETRIES)
def summarise_stage(self, day: str, force: bool = False) -> dict | None:
    """The summarise stage with the day's categories written in parallel: it claims the stage
    and replaces itself by a chord of one share per category, closed by `finish_summarise`."""
    date = datetime.date.fromisoformat(day)
    with _stage_outcome(self, day, SUMMARISE):
        categories = pipeline.summary_categories(date)
        # One Message Batch has Anthropic write every category at once already; a share per
        # category would only multiply the waiting for batches.
        if len(categories) < 2 or (settings.ANTHROPIC_API_KEY and settings.ANTHROPIC_BATCH):
            return pipeline.run_stage(date, SUMMARISE, resume=not force)
        run = runs.start(date, SUMMARISE, resume=not force)
        if run is None:
            return None
        shares = group(summarise_share.si(day, category) for category in categories)
        try:
            raise self.replace(chord(shares, finish_summarise.s(day, run.pk)))
        except Ignore:  # how `replace` ends this task once the chord is sent
            raise
        except BaseException as exc:
            runs.fail(run, exc)
            raise


@shared_task(bind=True, ignore_result=False, max_retries=RETRIES)
def summarise_share(self, day: str, category_id: int) -> dict:
    """One category's summaries. A final failure is returned, not raised: raised, it would
    leave the chord, and with it the stage's claim, waiting for good."""
    try:
        return pipeline.summarise_share(datetime.date.fromisoformat(day), category_id)
    except Exception as exc:
        if runs.is_transient(exc) and self.request.retries < RETRIES:
            raise self.retry(countdown=_backoff(self.request.retries)) from exc
        return {"error": f"category {category_id}: {type(exc).__name__}: {exc}"}


@shared_task
def finish_summarise(shares: list[dict], day: str, run_id: int) -> dict:
    run = PipelineRun.objects.get(pk=run_id)
    date = datetime.date.fromisoformat(day)
    return runs.execute(run, lambda: pipeline.finish_summarise(date, shares))


def build_chain(day: str, first: str | None = None, force: bool = False):
    """The day's stages from `first` (default: the first) on, as one chain; a failed stage
    stops the ones after it. `force` runs `first` even if it is done; the stages after it then
    run because their input is newer than their last run."""
    stages = [str(stage) for stage in pipeline.STAGES]
    if first is not None and first not in stages:
        raise runs.PipelineError(f"Unknown stage {first!r}; stages: {', '.join(stages)}.")
    first = first or stages[0]
    stages = stages[stages.index(first) :]
    return chain(_stage_task(day, stage, force=force and stage == first) for stage in stages)


def _stage_task(day: str, stage: str, force: bool):
    if stage == SUMMARISE:
        return summarise_stage.si(day, force=force)
    return run_stage_task.si(day, stage, force=force)


def trigger(day: datetime.date, first: str | None = None, force: bool = False):
    """Queue the day's chain (see `build_chain`); BrokerUnavailable if Redis cannot be reached."""
    signature = build_chain(day.isoformat(), first, force)
    try:
        # A connection of its own: web processes keep none open between triggers.
        with current_app.connection_for_write() as connection:
            return signature.apply_async(connection=connection)
    except BrokerError as exc:
        raise BrokerUnavailable(
            f"The task queue (Redis) is unreachable, so nothing was queued for "
            f"{day.isoformat()}: {exc}. Try again once it is back."
        ) from exc


@contextmanager
def _stage_outcome(task, day: str, stage: str):
    """A stage claimed by another run stops this chain quietly: the holder's chain carries the
    day on. Transient errors are retried with backoff; anything else fails the task."""
    try:
        yield
    except runs.StageBusy as exc:
        log.info("%s; this trigger stops here", exc, extra={"date": day, "stage": stage})
        raise Ignore() from exc
    except Exception as exc:
        if not runs.is_transient(exc) or task.request.retries >= RETRIES:
            raise
        wait = _backoff(task.request.retries)
        log.warning(
            "stage %s for %s: transient error, retry %d of %d in %d s: %s",
            stage,
            day,
            task.request.retries + 1,
            RETRIES,
            wait,
            exc,
            extra={"date": day, "stage": stage},
        )
        raise task.retry(exc=exc, countdown=wait) from exc


@shared_task
def build_latest_day() -> str:
    """Beat's daily entry: the announcement arXiv has just published (on a holiday, the date
    it would have carried, which ingest marks as a day without an announcement)."""
    day = schedule.evening_date(timezone.now())
    trigger(day)
    return day.isoformat()


@shared_task(bind=True, max_retries=RETRIES)
def refresh_popularity(self) -> dict:
    """Hugging Face upvotes and GitHub stars of the last week's papers, read again (beat's
    entry an hour after the build, setup_defaults); a day Hugging Face does not answer is
    skipped and reported."""
    try:
        return popularity.refresh_popularity().counts()
    except Exception as exc:
        if runs.is_transient(exc) and self.request.retries < RETRIES:
            raise self.retry(countdown=_backoff(self.request.retries)) from exc
        raise


@shared_task
def resume_recent_days() -> list[str]:
    """Beat's retry pass: every recent announcement day that is not done, from where it stopped,
    and every day whose rebuild could not be queued."""
    days = schedule.days_to_resume(timezone.now(), settings.DIGEST_RESUME_DAYS)
    for day, stage in days:
        trigger(day, first=stage)
    # TL;DRs left empty on days past their summarise stage (a day resumed before it rewrites
    # them there).
    resumed = {day for day, stage in days if stage in _UP_TO_SUMMARISE}
    for day in schedule.days_with_pending_briefs(timezone.now(), settings.DIGEST_RESUME_DAYS):
        if day not in resumed:
            log.info("retrying the TL;DRs of %s", day, extra={"date": day.isoformat()})
            retry_briefs.delay(day.isoformat())
    return [f"{day.isoformat()} from {stage}" for day, stage in days]


_UP_TO_SUMMARISE = (pipeline.Stage.INGEST, pipeline.Stage.CLASSIFY, pipeline.Stage.SUMMARISE)


@shared_task(bind=True, max_retries=RETRIES)
def retry_briefs(self, day: str) -> dict:
    """The TL;DRs of a day that the summarise stage left empty, written again."""
    try:
        return pipeline.retry_briefs(datetime.date.fromisoformat(day))
    except Exception as exc:
        if runs.is_transient(exc) and self.request.retries < RETRIES:
            raise self.retry(countdown=_backoff(self.request.retries)) from exc
        raise


def _backoff(retries: int) -> int:
    return round(BACKOFF.wait(retries))
