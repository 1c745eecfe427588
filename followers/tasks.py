"""Celery tasks: thin wrappers over followers.delivery and followers.subscriptions."""

import datetime
import logging

from celery import shared_task
from django.conf import settings

from common.retry import Backoff
from followers import delivery, emails, subscriptions, transport
from followers.models import Subscriber

log = logging.getLogger(__name__)


def backoff() -> Backoff:
    return Backoff(
        retries=settings.FOLLOWERS_SMTP_RETRIES,
        base=settings.FOLLOWERS_SMTP_BACKOFF,
        cap=settings.FOLLOWERS_SMTP_BACKOFF_CAP,
    )


@shared_task
def dispatch_day(day: str, deferred_after: float = 0) -> int:
    """Record the day's issues and queue their chunks; how many chunks."""
    work = delivery.dispatch(datetime.date.fromisoformat(day), deferred_after)
    for kind, issue, ids in work:
        send_chunk.delay(kind, issue, ids)
    return len(work)


@shared_task(bind=True, max_retries=None)
def send_chunk(self, kind: str, issue: str, subscriber_ids: list[int]) -> dict:
    outcome = delivery.send_chunk(kind, datetime.date.fromisoformat(issue), subscriber_ids)
    if outcome.deferred and self.request.retries < settings.FOLLOWERS_SMTP_RETRIES:
        wait = backoff().wait(self.request.retries)
        log.warning(
            "%s issue %s: %d deliveries deferred (%s), retry %d in %.0f s",
            kind,
            issue,
            len(outcome.deferred),
            outcome.error,
            self.request.retries + 1,
            wait,
        )
        raise self.retry(args=(kind, issue, outcome.deferred), countdown=wait)
    return outcome.counts()


@shared_task
def sweep() -> int:
    """Beat, every few minutes: dispatch the recent days again (idempotent), which picks up
    rows a lost trigger never queued, deferred rows past their retries and rows a dead
    worker left sending."""
    chunks = 0
    for day in delivery.recent_days():
        chunks += dispatch_day(day.isoformat(), settings.FOLLOWERS_SWEEP_DEFERRED_AFTER)
    return chunks


@shared_task
def forget_unconfirmed() -> int:
    return subscriptions.forget_unconfirmed()


@shared_task(bind=True, max_retries=None)
def send_mail(self, subscriber_id: int, kind: str) -> str:
    """The confirmation ("confirm") or the manage link ("notice") to one subscriber."""
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None:
        return "gone"
    mail = emails.confirmation(subscriber) if kind == "confirm" else emails.notice(subscriber)
    try:
        with transport.Connection() as connection:
            connection.send(
                emails.sender(), subscriber.email, mail.message().as_bytes(linesep="\r\n")
            )
    except transport.SmtpTemporary as exc:
        if self.request.retries >= settings.FOLLOWERS_SMTP_RETRIES:
            raise
        raise self.retry(countdown=backoff().wait(self.request.retries), exc=exc) from exc
    except transport.SmtpPermanent as exc:
        log.warning("%s mail to subscriber %s refused: %s", kind, subscriber_id, exc)
        return "refused"
    return "sent"
