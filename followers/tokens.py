"""Signed tokens for the links in the mails and the personal feeds (django.core.signing).

A token carries the subscription's id and its `key` (a random secret stored on the row), signed
with SECRET_KEY under a salt per purpose: a confirmation link cannot be used as a feed URL or
the other way round, it works for one subscription only, and deleting the subscription (or a
new key) revokes every link at once. Confirmation links expire after FOLLOWERS_CONFIRM_DAYS.
"""

from django.conf import settings
from django.core import signing
from django.utils.crypto import constant_time_compare

from followers.models import Subscriber

CONFIRM, MANAGE, UNSUBSCRIBE, FEED = "confirm", "manage", "unsubscribe", "feed"
PURPOSES = {CONFIRM, MANAGE, UNSUBSCRIBE, FEED}
MAX_TOKEN = 200  # longer input is refused before any verification


def make(subscriber: Subscriber, purpose: str) -> str:
    assert purpose in PURPOSES
    return signing.dumps([subscriber.pk, subscriber.key], salt=f"followers.{purpose}")


def read(token: str, purpose: str) -> Subscriber | None:
    """The subscription the token was made for, or None (bad, expired or revoked token)."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN:
        return None
    max_age = settings.FOLLOWERS_CONFIRM_DAYS * 86400 if purpose == CONFIRM else None
    try:
        pk, key = signing.loads(token, salt=f"followers.{purpose}", max_age=max_age)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not isinstance(pk, int) or not isinstance(key, str):
        return None
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None or not constant_time_compare(subscriber.key, key):
        return None
    return subscriber
