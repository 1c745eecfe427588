"""Followers' answer to the digest app's `day_published`: queue the day's issues.

If the queue cannot be reached the failure is logged and publishing goes on; the sweep (beat,
every FOLLOWERS_SWEEP_MINUTES) dispatches the recent days again, idempotently."""

import logging

from django.db import transaction

from digest.signals import day_published

log = logging.getLogger(__name__)


def queue_dispatch(sender, digest, **kwargs) -> None:
    def send():
        from followers import tasks
        from followers.models import Subscriber

        if not Subscriber.objects.receiving().exists():
            return
        try:
            tasks.dispatch_day.delay(digest.date.isoformat())
        except Exception as exc:  # the broker is down: the sweep dispatches it later
            log.warning("could not queue the mails of %s: %s", digest.date, exc)

    transaction.on_commit(send, robust=True)


def connect() -> None:
    day_published.connect(queue_dispatch, dispatch_uid="followers-queue-dispatch")
