"""Celery wrappers: they take ids and call plain functions."""

from celery import shared_task

from summaries import services


@shared_task(acks_late=True)
def regenerate_summaries(summary_ids: list[int]) -> dict:
    # Safe to run twice: a summary rewritten once is no longer marked, so it is not paid again.
    return services.regenerate(summary_ids)
