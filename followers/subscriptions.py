"""Subscribing, confirming, changing and deleting a subscription: the form's business logic.

The answer to a subscription request is the same whatever the address's state (no
enumeration); what differs is only the mail the address itself receives:

- a new address: an unconfirmed subscription and the confirmation mail;
- an address not confirmed yet: its filters replaced, the confirmation mail again;
- a confirmed address: nothing changes, and it gets a mail with its manage link.

Each address gets at most FOLLOWERS_RATE_PER_ADDRESS such mails a day (ratelimit.py); an
unconfirmed address is forgotten after FOLLOWERS_CONFIRM_DAYS (`forget_unconfirmed`, daily).
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from followers import ratelimit
from followers.models import Subscriber

log = logging.getLogger(__name__)


@dataclass
class Choices:
    """What a subscriber picks, validated by followers.forms."""

    categories: list
    include: list[str]
    exclude: list[str]
    language: str
    frequency: str


def normalise_email(email: str) -> str:
    """Lower case, and an internationalised domain in its ASCII (IDNA) form, which SMTP takes
    and which shows a look-alike domain for what it is."""
    local, _, domain = email.strip().rpartition("@")
    return f"{local}@{domain.encode('idna').decode('ascii')}".lower()


def apply(subscriber: Subscriber, choices: Choices) -> None:
    subscriber.include = choices.include
    subscriber.exclude = choices.exclude
    subscriber.language = choices.language
    subscriber.frequency = choices.frequency
    subscriber.save()
    subscriber.categories.set(choices.categories)


def subscribe(email: str, choices: Choices, send) -> None:
    """Handle a subscription request; `send(subscriber_id, kind)` queues a mail ("confirm" or
    "notice") once the transaction commits. Says nothing about what it found."""
    email = normalise_email(email)
    if not ratelimit.allow_address(email):
        log.info("subscription request over the per-address limit; no mail sent")
        return
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(email=email)
        if created or not subscriber.is_confirmed:
            apply(subscriber, choices)
            kind = "confirm"
        else:
            kind = "notice"
        pk = subscriber.pk
        transaction.on_commit(lambda: send(pk, kind))


def confirm(subscriber: Subscriber) -> bool:
    """Confirm the subscription; False when it was confirmed already."""
    updated = Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    subscriber.refresh_from_db(fields=["confirmed_at"])
    return bool(updated)


def delete(subscriber: Subscriber) -> None:
    """Delete the subscription and everything kept about it (its deliveries go with it)."""
    subscriber.delete()


def forget_unconfirmed(now: datetime.datetime | None = None) -> int:
    """Delete subscriptions left unconfirmed for FOLLOWERS_CONFIRM_DAYS; how many."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.FOLLOWERS_CONFIRM_DAYS)
    _, deleted = Subscriber.objects.filter(
        confirmed_at__isnull=True, created_at__lt=cutoff
    ).delete()
    return deleted.get("followers.Subscriber", 0)
