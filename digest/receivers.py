"""The digest app's answers to the editors' corrections signalled by the apps below it.

Both ways an editor makes summaries stale (moving a paper, asking for a summary again) end
here: once the correction is committed, the day's summarise stage is queued under the
pipeline's claim, so the two can never race, and the chart follows with the publish stage.
The editor is told what happened through `notify(message, level)`, which the admin passes with
the signal: queued, or, with the task queue down, that the correction is saved but its rebuild
could not be queued. Then the failure is logged and recorded in the run history (a failed
summarise run, `runs.record_not_queued`), the summaries stay marked stale, and the scheduled
retry pass (`tasks.resume_recent_days`) rebuilds the day, however old, once the queue is back.
"""

import logging

from django.contrib import messages
from django.db import transaction

from digest import runs, tasks
from digest.models import DailyDigest, PipelineRun
from papers.signals import corrections_saved
from summaries.models import CategorySummary
from summaries.signals import regeneration_requested

log = logging.getLogger(__name__)
SUMMARISE = PipelineRun.Stage.SUMMARISE


def rebuild_after_moves(sender, paper_ids, notify=None, **kwargs) -> None:
    """Queue the days whose summaries the moves of `paper_ids` made stale."""
    days = (
        DailyDigest.objects.filter(papers__in=paper_ids, summaries__needs_regeneration=True)
        .values_list("date", flat=True)
        .distinct()
    )
    _rebuild_on_commit(sorted(days), notify)


def rebuild_requested(sender, summary_ids, notify=None, **kwargs) -> None:
    """Queue the days of the summaries an editor asked to have written again."""
    days = CategorySummary.objects.filter(pk__in=summary_ids).values_list("digest__date", flat=True)
    _rebuild_on_commit(sorted(set(days)), notify)


def _rebuild_on_commit(days, notify) -> None:
    if not days:
        return

    def queue_rebuilds():  # named: Django's robust on_commit logs a failing callback by name
        queue_rebuilds_now(days, notify)

    transaction.on_commit(queue_rebuilds, robust=True)


def queue_rebuilds_now(days, notify=None) -> list:
    """Queue the summarise stage (and the chart after it) of each of `days`; returns the days
    that could not be queued, each recorded in the run history. Once the queue is found down,
    the remaining days are not tried (each try waits about a second)."""
    notify = notify or (lambda message, level: None)
    queued, not_queued, error = [], [], None
    for day in days:
        if error is None:
            try:
                tasks.trigger(day, first=SUMMARISE, force=True)
                queued.append(day)
                continue
            except tasks.BrokerUnavailable as exc:
                error = exc
        not_queued.append(day)
        runs.record_not_queued(day, SUMMARISE, error)
    if queued:
        notify(f"Summaries and charts queued for rebuilding: {_dates(queued)}.", messages.INFO)
    if not_queued:
        log.error(
            "editor's rebuild of %s not queued: %s",
            _dates(not_queued),
            error,
            extra={"dates": [d.isoformat() for d in not_queued], "stage": str(SUMMARISE)},
        )
        notify(
            f"The correction is saved, but the rebuild of the summaries and charts of "
            f"{_dates(not_queued)} could not be queued: the task queue (Redis) is unreachable. "
            f"They stay marked for regeneration, and the scheduled retry pass rebuilds them "
            f"once the queue is back (or re-run the day from Pipeline runs).",
            messages.WARNING,
        )
    return not_queued


def _dates(days) -> str:
    return ", ".join(day.isoformat() for day in days)


def connect() -> None:
    corrections_saved.connect(rebuild_after_moves, dispatch_uid="digest-rebuild-after-moves")
    regeneration_requested.connect(rebuild_requested, dispatch_uid="digest-rebuild-requested")
