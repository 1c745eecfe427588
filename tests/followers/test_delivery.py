"""Sending an issue: once per (subscriber, issue), whatever re-runs, second triggers or dead
workers; SMTP's temporary errors retried, permanent ones marking the address; weekly issues."""

import datetime
import re

import pytest
from celery.exceptions import Retry
from django.db import connection
from django.utils import timezone

from digest.models import DailyDigest
from followers import delivery, tasks, tokens
from followers.models import Delivery, Subscriber
from followers.transport import Connection
from papers.models import Category
from tests.conftest import REFERENCE_DAY

State = Delivery.State


def confirmed(email, **fields):
    subscriber = Subscriber.objects.create(
        email=email, confirmed_at=timezone.now() - datetime.timedelta(days=1), **fields
    )
    return subscriber


def send_day(day=REFERENCE_DAY):
    return tasks.dispatch_day(day.isoformat())


@pytest.fixture
def day(reference_day):
    return reference_day


@pytest.mark.django_db
def test_dispatching_again_sends_nothing_twice(day, smtp):
    for n in range(5):
        confirmed(f"r{n}@example.org")
    send_day()
    send_day()
    tasks.sweep()
    assert sorted(r.recipients[0] for r in smtp.received) == [f"r{n}@example.org" for n in range(5)]
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


@pytest.mark.django_db
def test_unconfirmed_failing_and_later_subscribers_get_nothing(day, smtp):
    Subscriber.objects.create(email="unconfirmed@example.org")
    confirmed("failing@example.org", failing_at=timezone.now())
    later = timezone.now() + datetime.timedelta(hours=1)
    Subscriber.objects.create(email="late@example.org", confirmed_at=later)
    confirmed("weekly@example.org", frequency="weekly")
    confirmed("ok@example.org")
    send_day()
    assert [r.recipients for r in smtp.received] == [["ok@example.org"]]


@pytest.mark.django_db
def test_nothing_matching_sends_no_mail(day, smtp):
    confirmed("a@example.org", include=["zzzz-no-such-word"])
    send_day()
    assert not smtp.received
    assert Delivery.objects.get().state == State.EMPTY


@pytest.mark.django_db
def test_a_row_being_sent_is_left_to_its_worker_and_a_stale_one_is_sent_again(day, smtp, settings):
    one, two = confirmed("one@example.org"), confirmed("two@example.org")
    [plan] = delivery.plans(day)
    delivery.record(plan)
    # One claimed a moment ago by a live worker, one claimed by a worker dead for longer than
    # the lease: the first is left alone, the second is sent again with its Message-ID.
    sending = {"state": State.SENDING, "attempts": 1}
    Delivery.objects.filter(subscriber=one).update(claimed_at=timezone.now(), **sending)
    stale = timezone.now() - datetime.timedelta(seconds=settings.FOLLOWERS_SENDING_LEASE + 1)
    Delivery.objects.filter(subscriber=two).update(claimed_at=stale, **sending)
    send_day()
    [received] = smtp.received
    row = Delivery.objects.get(subscriber=two)
    assert received.recipients == ["two@example.org"]
    assert received.message["Message-ID"] == row.message_id
    assert (row.state, row.attempts) == (State.SENT, 2)
    assert Delivery.objects.get(subscriber=one).state == State.SENDING


@pytest.mark.django_db
def test_two_runs_over_the_same_chunk_send_each_mail_once(day, smtp):
    ids = [confirmed(f"r{n}@example.org").pk for n in range(4)]
    [plan] = delivery.plans(day)
    delivery.record(plan)
    first = delivery.send_chunk("daily", day, ids)
    second = delivery.send_chunk("daily", day, ids)
    assert (first.sent, second.sent, second.skipped) == (4, 0, 4)
    assert len(smtp.received) == 4


@pytest.mark.django_db
def test_421_defers_and_a_later_try_delivers(day, smtp, settings):
    settings.FOLLOWERS_SMTP_RETRIES = 0  # the task does not retry: the sweep does, later
    settings.FOLLOWERS_SWEEP_DEFERRED_AFTER = 0
    confirmed("a@example.org")
    confirmed("b@example.org")
    smtp.handler.busy_until = float("inf")
    send_day()
    assert not smtp.received
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.DEFERRED}
    assert "421" in Delivery.objects.first().error
    smtp.handler.busy_until = 0
    tasks.sweep()
    assert sorted(r.recipients[0] for r in smtp.received) == ["a@example.org", "b@example.org"]
    assert set(Delivery.objects.values_list("state", flat=True)) == {State.SENT}


@pytest.mark.django_db
def test_the_task_retries_a_deferred_chunk_with_backoff(day, smtp, settings):
    settings.FOLLOWERS_SMTP_RETRIES, settings.FOLLOWERS_SMTP_BACKOFF = 3, 60
    subscriber = confirmed("a@example.org")
    [plan] = delivery.plans(day)
    delivery.record(plan)
    smtp.handler.busy_until = float("inf")
    with pytest.raises(Retry) as retry:
        tasks.send_chunk.apply(args=("daily", day.isoformat(), [subscriber.pk]), throw=True)
    assert 30 <= retry.value.when <= 60  # the first backoff: [base/2, base]
    assert Delivery.objects.get().state == State.DEFERRED
    smtp.handler.busy_until = 0
    tasks.send_chunk.apply(args=("daily", day.isoformat(), [subscriber.pk]), throw=True)
    assert [r.recipients for r in smtp.received] == [["a@example.org"]]


@pytest.mark.django_db
def test_550_marks_the_address_failing_and_nothing_more_is_sent(day, smtp):
    bad = confirmed("bad@example.org")
    confirmed("good@example.org")
    smtp.handler.refuse["bad@example.org"] = "550 5.1.1 No such user"
    send_day()
    bad.refresh_from_db()
    assert bad.failing_at is not None and "550" in bad.bounce_reason
    assert Delivery.objects.get(subscriber=bad).state == State.FAILED
    assert [r.recipients for r in smtp.received] == [["good@example.org"]]
    assert bad not in Subscriber.objects.receiving()


@pytest.mark.django_db
def test_bounces_mark_an_address_failing_only_after_n_days(settings):
    settings.FOLLOWERS_BOUNCE_DAYS = 3
    subscriber = confirmed("a@example.org")
    start = timezone.now()
    assert not delivery.bounce(subscriber, "550 no", now=start)
    assert not delivery.bounce(subscriber, "550 no", now=start + datetime.timedelta(days=2))
    assert delivery.bounce(subscriber, "550 no", now=start + datetime.timedelta(days=3))
    subscriber.refresh_from_db()
    assert subscriber.failing_at is not None


@pytest.mark.django_db
def test_a_refused_sender_is_never_a_subscribers_bounce(day, smtp, settings):
    settings.FOLLOWERS_SMTP_RETRIES = 0
    settings.FOLLOWERS_FROM = "Daily AI Insights <digest@localhost>"
    subscriber = confirmed("a@example.org")

    async def refuse(server, session, envelope, address, options):
        return "550 5.7.1 sender not allowed"

    smtp.handler.handle_MAIL = refuse
    send_day()
    subscriber.refresh_from_db()
    assert subscriber.failing_at is None and subscriber.bounced_at is None
    assert Delivery.objects.get().state == State.DEFERRED


@pytest.mark.django_db
def test_an_old_day_republished_sends_nothing(day, smtp):
    confirmed("a@example.org")
    published = timezone.now() - datetime.timedelta(days=3)
    DailyDigest.objects.filter(date=day).update(published_at=published)
    Subscriber.objects.update(confirmed_at=timezone.now() - datetime.timedelta(days=5))
    send_day()
    assert not smtp.received and not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_send_rate_is_limited(day, smtp):
    from followers.ratelimit import SendRate

    slept = []
    rate = SendRate(per_second=2, sleep=lambda s: slept.append(s) or __import__("time").sleep(s))
    ids = [confirmed(f"r{n}@example.org").pk for n in range(5)]
    [plan] = delivery.plans(day)
    delivery.record(plan)
    start = timezone.now()
    delivery.send_chunk("daily", day, ids, rate=rate)
    assert len(smtp.received) == 5
    assert (timezone.now() - start).total_seconds() >= 1.0  # 5 mails at 2 a second
    assert slept


@pytest.mark.django_db
def test_weekly_subscribers_get_the_week_on_the_next_weeks_first_day(make_day, smtp):
    from digest.pipeline import build_digest

    # Two days of one week, then the Monday after: its publication sends last week's issue.
    thursday, friday = datetime.date(2025, 5, 22), datetime.date(2025, 5, 23)
    monday = datetime.date(2025, 5, 26)
    ids = iter(range(90000, 90100))
    for date in (thursday, friday, monday):
        make_day(4, date, edit=lambda r: {**r, "arxiv_id": f"2505.{next(ids)}"})
        build_digest(date)
    weekly = confirmed("weekly@example.org", frequency="weekly")
    daily = confirmed("daily@example.org")
    send_day(monday)
    mails = {r.recipients[0]: r.message for r in smtp.received}
    assert set(mails) == {"weekly@example.org", "daily@example.org"}
    week = mails["weekly@example.org"]
    assert "2025-05-19" in week["Subject"]
    text = week.get_body(("plain",)).get_content()
    assert "2025-05-22" in text and "2025-05-23" in text and "2025-05-26" not in text
    assert Delivery.objects.get(subscriber=weekly).issue == datetime.date(2025, 5, 19)
    assert Delivery.objects.get(subscriber=daily).issue == monday
    # Tuesday is not the week's first day: no weekly issue.
    assert [p.kind for p in delivery.plans(monday)] == ["daily", "weekly"]


@pytest.mark.django_db
def test_the_transport_reuses_one_connection(smtp):
    with Connection() as connection:
        for n in range(3):
            connection.send("a@localhost", f"r{n}@example.org", b"Subject: x\r\n\r\nhello\r\n")
    assert len(smtp.received) == 3


@pytest.mark.django_db
def test_categories_of_the_subscriber_limit_the_mail(day, smtp):
    subscriber = confirmed("a@example.org")
    subscriber.categories.set([Category.objects.get(slug="multimodal")])
    send_day()
    text = smtp.received[0].message.get_body(("plain",)).get_content()
    assert "JanusFlow" in text and "SAMPart3D" not in text


@pytest.mark.django_db
def test_subscribers_sharing_a_rendering_each_get_their_own_links(day, smtp):
    """The mail is rendered once for both (same filter and language) and only the links and
    the To header differ: each mail carries its own subscriber's tokens, in both parts."""
    one, two = confirmed("one@example.org"), confirmed("two@example.org")
    send_day()
    mails = {r.recipients[0]: r.message for r in smtp.received}
    assert set(mails) == {"one@example.org", "two@example.org"}
    for subscriber, other in ((one, two), (two, one)):
        message = mails[subscriber.email]
        assert message["To"] == subscriber.email
        own = tokens.make(subscriber, tokens.UNSUBSCRIBE).split(":")[0]  # its payload: id and key
        theirs = tokens.make(other, tokens.UNSUBSCRIBE).split(":")[0]
        assert own in message["List-Unsubscribe"]
        for content_type in ("plain", "html"):
            body = message.get_body((content_type,)).get_content()
            found = {
                tokens.read(t, tokens.MANAGE) for t in re.findall(r"/follow/manage/([^/]+)/", body)
            }
            assert found == {subscriber} and own in body and theirs not in body
    for_one = mails["one@example.org"].get_body(("plain",)).get_content()
    for_two = mails["two@example.org"].get_body(("plain",)).get_content()
    assert for_one.split("\n--\n")[0] == for_two.split("\n--\n")[0]  # the same issue above


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's setting")
def test_marks_commit_without_waiting_for_the_disk_and_the_session_is_restored(
    day, smtp, monkeypatch
):
    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    seen = []
    mark = delivery._mark
    monkeypatch.setattr(delivery, "_mark", lambda *a, **k: (seen.append(setting()), mark(*a, **k)))
    confirmed("a@example.org")
    send_day()
    assert seen == ["off"] and setting() == "on"
    assert Delivery.objects.get().state == State.SENT


@pytest.mark.django_db
def test_the_mail_speaks_its_subscribers_language(day, smtp):
    """Korean by default, English for who chose it (the words are gettext's, locale/ko)."""
    confirmed("ko@example.org")
    confirmed("en@example.org", language="en")
    send_day()
    mails = {r.recipients[0]: r.message for r in smtp.received}
    korean, english = mails["ko@example.org"], mails["en@example.org"]
    assert "논문" in korean["Subject"] and "papers" in english["Subject"]
    for message, own, other in (
        (korean, "구독 관리", "Manage your subscription"),
        (english, "Manage your subscription", "구독 관리"),
    ):
        for content_type in ("plain", "html"):
            body = message.get_body((content_type,)).get_content()
            assert own in body and other not in body
