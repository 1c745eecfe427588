"""Celery wrappers around the pipeline: they take an ISO date string and call plain functions."""

import datetime

from celery import chain, shared_task

from digest import pipeline


@shared_task(acks_late=True)
def run_stage(day: str, stage: str) -> dict:
    # Every stage is idempotent, so a task redelivered after a worker dies may simply run again.
    return pipeline.run_stage(datetime.date.fromisoformat(day), stage)


def build_chain(day: str):
    """The day's stages as one chain; a failed stage stops the ones after it."""
    return chain(run_stage.si(day, stage) for stage in pipeline.STAGES)
