"""The digest app's answers to the editors' corrections signalled by the apps below it.

Both ways an editor makes summaries stale (moving a paper, asking for a summary again) end
here: once the correction is committed, the day's summarise stage is queued under the
pipeline's claim, so the two can never race, and the chart follows with the publish stage.
If the queue is down the failure is logged and the summaries stay marked, so the day's next
forced rebuild or the retry pass rewrites them.
"""

from functools import partial

from django.db import transaction

from digest import tasks
from digest.models import DailyDigest, PipelineRun
from papers.signals import corrections_saved
from summaries.models import CategorySummary
from summaries.signals import regeneration_requested


def rebuild_after_moves(sender, paper_ids, **kwargs) -> str | None:
    """Queue the days whose summaries the moves of `paper_ids` made stale."""
    days = (
        DailyDigest.objects.filter(papers__in=paper_ids, summaries__needs_regeneration=True)
        .values_list("date", flat=True)
        .distinct()
    )
    return _rebuild(sorted(days))


def rebuild_requested(sender, summary_ids, **kwargs) -> str | None:
    """Queue the days of the summaries an editor asked to have written again."""
    days = CategorySummary.objects.filter(pk__in=summary_ids).values_list("digest__date", flat=True)
    return _rebuild(sorted(set(days)))


def _rebuild(days) -> str | None:
    for day in days:
        rebuild = partial(tasks.trigger, day, first=PipelineRun.Stage.SUMMARISE, force=True)
        transaction.on_commit(rebuild, robust=True)
    if not days:
        return None
    return f"Summaries and charts queued for rebuilding: {', '.join(d.isoformat() for d in days)}."


def connect() -> None:
    corrections_saved.connect(rebuild_after_moves, dispatch_uid="digest-rebuild-after-moves")
    regeneration_requested.connect(rebuild_requested, dispatch_uid="digest-rebuild-requested")
