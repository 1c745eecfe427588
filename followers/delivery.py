"""Sending the issues: who gets what, each (subscriber, issue) once.

**The record.** `dispatch(day)` writes one `Delivery` row per recipient of each issue the day
starts (the day itself; on the first announcement day of a week, also the week before for
weekly subscribers), unique per (subscriber, kind, issue), then hands out the rows to send in
chunks. `send_chunk` claims its rows (`pending`/`deferred` -> `sending`, with `SELECT … FOR
UPDATE SKIP LOCKED`, committed) *before* it opens the SMTP transaction, and marks each row
`sent` right after the server's 250. So a re-run, a second trigger or a redelivered task finds
every row sent or held and sends nothing twice, and no recipient is left without a row.

**A crash between the SMTP accept and the record** leaves a row `sending`. The policy is to
send it again, with the same Message-ID, once its claim is older than
FOLLOWERS_SENDING_LEASE (longer than a task may run, so its worker is dead): never skipping a
subscriber is worth more than the rare duplicate, which carries the same Message-ID so that
mail clients that deduplicate by it show one mail. The window is one UPDATE after each 250;
a worker killed anywhere else (tests/reliability/test_followers_delivery.py) delivers every
mail exactly once. The row's `attempts` says when a mail was sent more than once. The marks
are committed without waiting for the disk (`_commits_unflushed`): a crash of PostgreSQL
itself, not of a worker, can lose the last of them, and those mails are sent again likewise.

**SMTP errors.** A temporary error (4xx, a dropped or refused connection, a timeout) defers the
row: one recipient's 4xx defers that recipient, the server's 421 or a lost connection defers
the rest of the chunk, which the task retries with backoff (common.retry.Backoff,
FOLLOWERS_SMTP_RETRIES tries), and the sweep after that. A permanent error (5xx) fails the row
and records a bounce on the subscriber; after FOLLOWERS_BOUNCE_DAYS of bounces (0: the first)
the address is marked failing and gets nothing more, until an editor clears it.
"""

import datetime
import logging
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection as database
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from digest.models import DailyDigest
from followers import emails, issues
from followers.models import Delivery, Subscriber
from followers.ratelimit import SendRate
from followers.transport import Connection, SmtpPermanent, SmtpTemporary
from papers.keywords import PaperFilter

log = logging.getLogger(__name__)
State = Delivery.State


@dataclass(frozen=True)
class Plan:
    kind: str
    issue: datetime.date
    digests: tuple  # the published days it shows, oldest first
    cutoff: datetime.datetime  # subscribers confirmed by then get it


@dataclass
class Outcome:
    sent: int = 0
    empty: int = 0
    failed: int = 0
    deferred: list = field(default_factory=list)  # subscriber ids to try again
    skipped: int = 0  # claimed by another run, or no longer receiving
    error: str = ""  # the last temporary error

    def counts(self) -> dict:
        return {
            "sent": self.sent,
            "empty": self.empty,
            "failed": self.failed,
            "deferred": len(self.deferred),
            "skipped": self.skipped,
        }


def monday(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def _days():
    return DailyDigest.objects.published().with_announcement()


def plans(day: datetime.date, now: datetime.datetime | None = None) -> list[Plan]:
    """The issues publishing `day` starts: its daily issue and, on the first announcement day
    of a week, the weekly issue of the week before. None for a day first published longer
    than FOLLOWERS_SEND_WITHIN_HOURS ago (an editor's rebuild of an old day sends nothing)."""
    now = now or timezone.now()
    digest = _days().filter(date=day).first()
    if digest is None:
        return []
    if now - digest.published_at > datetime.timedelta(hours=settings.FOLLOWERS_SEND_WITHIN_HOURS):
        return []
    found = [Plan(Delivery.Kind.DAILY, day, (digest,), digest.published_at)]
    week = monday(day)
    if not _days().filter(date__gte=week, date__lt=day).exists():
        last_week = week - datetime.timedelta(days=7)
        days = tuple(_days().filter(date__gte=last_week, date__lt=week).order_by("date"))
        if days:
            found.append(Plan(Delivery.Kind.WEEKLY, last_week, days, digest.published_at))
    return found


def issue_digests(kind: str, issue: datetime.date) -> list[DailyDigest]:
    if kind == Delivery.Kind.DAILY:
        return list(_days().filter(date=issue))
    end = issue + datetime.timedelta(days=7)
    return list(_days().filter(date__gte=issue, date__lt=end).order_by("date"))


def record(plan: Plan) -> int:
    """One pending row per recipient of `plan` that has none; how many were written."""
    recipients = Subscriber.objects.receiving().filter(
        frequency=plan.kind, confirmed_at__lte=plan.cutoff
    )
    rows = [
        Delivery(
            subscriber_id=pk,
            kind=plan.kind,
            issue=plan.issue,
            message_id=emails.message_id(pk, plan.kind, plan.issue),
        )
        for pk in recipients.values_list("pk", flat=True)
    ]
    before = Delivery.objects.filter(kind=plan.kind, issue=plan.issue).count()
    Delivery.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
    return Delivery.objects.filter(kind=plan.kind, issue=plan.issue).count() - before


def _claimable(now, deferred_after: float):
    stale = now - datetime.timedelta(seconds=settings.FOLLOWERS_SENDING_LEASE)
    retry = now - datetime.timedelta(seconds=deferred_after)
    return (
        Q(state=State.PENDING)
        | Q(state=State.DEFERRED, updated_at__lte=retry)
        | Q(state=State.SENDING, claimed_at__lt=stale)
    )


def chunks(plan: Plan, deferred_after: float = 0) -> list[list[int]]:
    """The plan's subscribers with a row to send, FOLLOWERS_CHUNK a chunk."""
    ids = list(
        Delivery.objects.filter(kind=plan.kind, issue=plan.issue)
        .filter(_claimable(timezone.now(), deferred_after))
        .order_by("subscriber_id")
        .values_list("subscriber_id", flat=True)
    )
    size = settings.FOLLOWERS_CHUNK
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def dispatch(day: datetime.date, deferred_after: float = 0) -> list[tuple[str, str, list[int]]]:
    """Record the day's issues and return the chunks to send as (kind, ISO issue, ids)."""
    work = []
    for plan in plans(day):
        written = record(plan)
        parts = chunks(plan, deferred_after)
        log.info(
            "%s issue %s: %d new deliveries, %d chunks to send",
            plan.kind,
            plan.issue,
            written,
            len(parts),
        )
        work += [(plan.kind, plan.issue.isoformat(), part) for part in parts]
    return work


def recent_days(now: datetime.datetime | None = None) -> list[datetime.date]:
    """Published days still within FOLLOWERS_SEND_WITHIN_HOURS: what the sweep dispatches."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=settings.FOLLOWERS_SEND_WITHIN_HOURS)
    return list(_days().filter(published_at__gte=since).values_list("date", flat=True))


def claim(kind: str, issue: datetime.date, subscriber_ids: list[int], deferred_after: float = 0):
    """Take the rows of these subscribers that nobody holds: {subscriber id: (row id, msgid)}."""
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(kind=kind, issue=issue, subscriber_id__in=subscriber_ids)
            .filter(_claimable(now, deferred_after))
            .values_list("pk", "subscriber_id", "message_id")
        )
        Delivery.objects.filter(pk__in=[pk for pk, _, _ in rows]).update(
            state=State.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
        )
    return {subscriber: (pk, msgid) for pk, subscriber, msgid in rows}


@contextmanager
def _commits_unflushed():
    """PostgreSQL's asynchronous commit for the marks of a chunk: a mark's commit no longer
    waits for the WAL to reach the disk (a mark took 3.9 ms with the wait and 1.3 ms without,
    on this machine under load). A dead worker loses nothing, as the database has its
    commit; only a crash of the database server itself may lose the last fraction of a second
    of marks, whose rows are then sent again with the same Message-ID, as after the crash
    window above. The claims stay durable."""
    if database.vendor != "postgresql":
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO off")
    try:
        yield
    finally:
        with database.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _mark(pk: int, state: str, **fields) -> None:
    Delivery.objects.filter(pk=pk).update(state=state, updated_at=timezone.now(), **fields)


def send_chunk(
    kind: str,
    issue: datetime.date,
    subscriber_ids: list[int],
    *,
    deferred_after: float = 0,
    rate: SendRate | None = None,
    connection: Connection | None = None,
) -> Outcome:
    """Send the issue to those of `subscriber_ids` whose rows this call can claim."""
    outcome = Outcome()
    claimed = claim(kind, issue, subscriber_ids, deferred_after)
    outcome.skipped = len(subscriber_ids) - len(claimed)
    if not claimed:
        return outcome
    digests = issue_digests(kind, issue)
    mails = emails.IssueMails(issues.cached_issue(kind, issue, digests))
    subscribers = Subscriber.objects.filter(pk__in=claimed).prefetch_related("categories")
    rate = rate or SendRate()
    own = connection is None
    connection = connection or Connection()
    queue = sorted(subscribers, key=lambda s: s.pk)
    gone = set(claimed) - {s.pk for s in queue}  # deleted meanwhile: their rows went with them
    outcome.skipped += len(gone)
    with connection if own else nullcontext(), _commits_unflushed():
        for index, subscriber in enumerate(queue):
            pk, msgid = claimed[subscriber.pk]
            if subscriber.failing_at is not None or not subscriber.is_confirmed:
                _mark(pk, State.FAILED, error="Not receiving: marked failing.")
                outcome.skipped += 1
                continue
            paper_filter = PaperFilter.of(subscriber)
            mail, count = mails.message(subscriber, paper_filter, msgid)
            if mail is None:
                _mark(pk, State.EMPTY, sent_at=timezone.now(), error="")
                outcome.empty += 1
                continue
            rate.wait()
            try:
                connection.send(emails.sender(), subscriber.email, mail)
            except SmtpTemporary as exc:
                outcome.error = str(exc)
                _mark(pk, State.DEFERRED, error=str(exc)[:300])
                outcome.deferred.append(subscriber.pk)
                if exc.scope == "server":  # the server is in trouble: leave the rest for later
                    rest = queue[index + 1 :]
                    Delivery.objects.filter(pk__in=[claimed[s.pk][0] for s in rest]).update(
                        state=State.DEFERRED, error=str(exc)[:300], updated_at=timezone.now()
                    )
                    outcome.deferred += [s.pk for s in rest]
                    break
            except SmtpPermanent as exc:
                _mark(pk, State.FAILED, error=str(exc)[:300])
                if exc.scope == "recipient":
                    bounce(subscriber, str(exc))
                outcome.failed += 1
            else:
                _mark(pk, State.SENT, sent_at=timezone.now(), papers=count, error="")
                if subscriber.bounced_at is not None:
                    Subscriber.objects.filter(pk=subscriber.pk).update(
                        bounced_at=None, bounce_reason=""
                    )
                outcome.sent += 1
    return outcome


def bounce(subscriber: Subscriber, reason: str, now: datetime.datetime | None = None) -> bool:
    """Record a permanent failure; True when the address is now marked failing."""
    now = now or timezone.now()
    first = subscriber.bounced_at or now
    failing = now - first >= datetime.timedelta(days=settings.FOLLOWERS_BOUNCE_DAYS)
    fields = {"bounced_at": first, "bounce_reason": reason[:300]}
    if failing:
        fields["failing_at"] = now
    Subscriber.objects.filter(pk=subscriber.pk).update(**fields)
    for name, value in fields.items():
        setattr(subscriber, name, value)
    if failing:
        log.warning("subscriber %s marked failing: %s", subscriber.pk, reason)
    return failing
