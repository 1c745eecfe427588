"""Followers: email subscriptions (double opt-in) and the record of every email sent to them.

A `Subscriber` is one address with its filters; it gets nothing but the confirmation mail until
`confirmed_at` is set, and is forgotten (deleted) after FOLLOWERS_CONFIRM_DAYS unconfirmed.
Deleting it deletes its deliveries too: nothing personal is kept after an unsubscribe.

A `Delivery` is one issue (a day, or a week) to one subscriber, unique per (subscriber, kind,
issue): the row is claimed ("sending", with the Message-ID the mail will carry) and committed
before the SMTP transaction starts, and marked "sent" after the server's 250. See
followers/delivery.py for what happens to a row a dead worker left "sending".
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def new_key() -> str:
    return secrets.token_urlsafe(18)


class SubscriberQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)

    def receiving(self):
        """Confirmed and not stopped by hard bounces: who the next issue goes to."""
        return self.confirmed().filter(failing_at__isnull=True)


class Subscriber(models.Model):
    class Frequency(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    email = models.EmailField(
        max_length=254, unique=True, help_text="Stored with its domain in lower case."
    )
    # The secret every token of this subscription is bound to: a new key revokes all its links.
    key = models.CharField(max_length=32, default=new_key, editable=False)
    language = models.CharField(max_length=5, choices=settings.LANGUAGES, default="ko")
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    categories = models.ManyToManyField(
        "papers.Category",
        related_name="subscribers",
        blank=True,
        help_text="The categories followed; none means every category.",
    )
    include = models.JSONField(
        "keywords", default=list, blank=True, help_text="A paper must match one of them (if any)."
    )
    exclude = models.JSONField(
        "excluded keywords", default=list, blank=True, help_text="A paper matching one is left out."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # Hard bounces (5xx): the first of the current run of them, and when the address was marked
    # failing (FOLLOWERS_BOUNCE_DAYS after the first), after which nothing more is sent.
    bounced_at = models.DateTimeField(null=True, blank=True)
    failing_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        permissions = [("view_subscriber_email", "Can see subscribers' email addresses")]
        indexes = [
            models.Index(
                fields=["created_at"], condition=Q(confirmed_at__isnull=True), name="unconfirmed"
            )
        ]

    def __str__(self):
        return f"subscriber {self.pk}"

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class Delivery(models.Model):
    class Kind(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")

    class State(models.TextChoices):
        PENDING = "pending", "Pending"  # recorded, not claimed yet
        SENDING = "sending", "Sending"  # claimed: the SMTP transaction may be under way
        SENT = "sent", "Sent"  # the server answered 250
        DEFERRED = "deferred", "Deferred"  # a temporary (4xx) error: retried with backoff
        FAILED = "failed", "Failed"  # a permanent (5xx) error
        EMPTY = "empty", "Nothing matched"  # no paper matched the filters: no mail

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    issue = models.DateField(help_text="The day; for a weekly issue, the Monday of its week.")
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    message_id = models.CharField(max_length=200, help_text="The Message-ID the mail carries.")
    attempts = models.PositiveSmallIntegerField(default=0)
    papers = models.PositiveIntegerField(default=0, help_text="Papers the mail listed.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-issue", "subscriber"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "kind", "issue"], name="one_delivery_per_issue"
            ),
        ]
        indexes = [models.Index(fields=["issue", "state"], name="delivery_issue_state")]

    def __str__(self):
        return f"{self.kind} {self.issue.isoformat()} → {self.subscriber_id} ({self.state})"
