"""Sending a day's mails survives what a mail server and a worker do to it (issue 16), with a
real Celery worker, Redis, PostgreSQL and an SMTP server (aiosmtpd) in this process:

- a worker SIGKILLed mid-send, and another started: every subscriber gets the day once;
- the server answering 421 for a while: the mails are sent later, once each;
- the server answering 550 for an address: the address is marked failing and gets nothing
  more, the others get theirs.
"""

import datetime
import time
from collections import Counter

import pytest
from django.utils import timezone

from digest.pipeline import build_digest
from followers import tasks
from followers.models import Delivery, Subscriber
from tests.conftest import REFERENCE_DAY
from tests.followers.smtp import SmtpServer
from tests.integration.conftest import wait_for

DAY = REFERENCE_DAY.isoformat()
SENT = Delivery.State.SENT


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def day(taxonomy):
    build_digest(REFERENCE_DAY)
    return REFERENCE_DAY


def subscribe(count: int, prefix: str = "reader") -> list[str]:
    confirmed = timezone.now() - datetime.timedelta(days=1)
    Subscriber.objects.bulk_create(
        Subscriber(email=f"{prefix}{n}@example.org", confirmed_at=confirmed) for n in range(count)
    )
    return [f"{prefix}{n}@example.org" for n in range(count)]


def mail_worker(workers, smtp, **variables):
    return workers(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp.port),
        FOLLOWERS_SEND_RATE="0",
        FOLLOWERS_SITE_URL="https://digest.example.org",
        **variables,
    )


def per_recipient(smtp) -> Counter:
    return Counter(r.recipients[0] for r in smtp.received)


def settled(count: int, states=(SENT,)) -> bool:
    """`count` deliveries recorded, each in one of `states`."""
    return Delivery.objects.filter(state__in=states).count() == count


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_send_delivers_to_everyone_exactly_once(day, smtp, workers, broker):
    """30 subscribers in chunks of 10, the server taking 0.2 s a message. The worker is
    SIGKILLed while it sends (after the 6th message), in the middle of an SMTP transaction;
    the new worker gets the dead one's tasks back from Redis after the visibility timeout (8 s)
    and finds their rows "sending" past the lease (6 s): it sends them again. The message whose
    transaction the kill cut was never accepted (the server drops it with the connection), so
    it arrives once; so does every other."""
    addresses = subscribe(30)
    smtp.handler.delay = 0.2
    first = mail_worker(workers, smtp, FOLLOWERS_CHUNK="10").start()
    tasks.dispatch_day.delay(DAY)
    wait_for(lambda: len(smtp.received) >= 6, 60, "the first mails", first)
    first.kill()
    killed_at = len(smtp.received)
    assert killed_at < 30
    assert Delivery.objects.filter(state=Delivery.State.SENDING).exists()

    second = mail_worker(workers, smtp, FOLLOWERS_CHUNK="10").start()
    wait_for(lambda: Delivery.objects.filter(state=SENT).count() == 30, 120, "every mail", second)
    time.sleep(1)  # nothing more arrives
    assert per_recipient(smtp) == Counter(addresses)  # each exactly once
    message_ids = {r.message["Message-ID"] for r in smtp.received}
    assert message_ids == set(Delivery.objects.values_list("message_id", flat=True))
    assert Delivery.objects.filter(attempts__gt=1).exists()  # the taken-over rows


@pytest.mark.django_db(transaction=True)
def test_a_server_answering_421_for_a_while_gets_the_mails_later(day, smtp, workers, broker):
    addresses = subscribe(3)
    worker = mail_worker(
        workers, smtp, FOLLOWERS_SMTP_BACKOFF="2", FOLLOWERS_SMTP_BACKOFF_CAP="4"
    ).start()
    smtp.handler.busy_until = time.time() + 5
    tasks.dispatch_day.delay(DAY)
    wait_for(lambda: Delivery.objects.filter(state=Delivery.State.DEFERRED).exists(), 60,
             "a deferral", worker)  # fmt: skip
    assert not smtp.received
    wait_for(lambda: settled(3), 90, "every mail", worker)
    time.sleep(1)
    assert per_recipient(smtp) == Counter(addresses)
    assert min(Delivery.objects.values_list("attempts", flat=True)) >= 2
    assert "421" in worker.log()  # the deferral is logged with the server's answer


@pytest.mark.django_db(transaction=True)
def test_a_550_marks_the_address_and_nothing_more_is_sent_to_it(day, smtp, workers, broker):
    good = subscribe(2)
    bad = subscribe(1, prefix="gone")[0]
    smtp.handler.refuse[bad] = "550 5.1.1 <gone0@example.org>: no such user"
    worker = mail_worker(workers, smtp).start()
    tasks.dispatch_day.delay(DAY)
    wait_for(lambda: settled(3, (SENT, Delivery.State.FAILED)), 60, "every delivery", worker)
    subscriber = Subscriber.objects.get(email=bad)
    assert subscriber.failing_at is not None and "550" in subscriber.bounce_reason
    assert per_recipient(smtp) == Counter(good)

    # The next issue (here: the day sent again to whoever has no delivery of it) skips it.
    Delivery.objects.all().delete()
    tasks.dispatch_day.delay(DAY)
    wait_for(lambda: Delivery.objects.filter(state=SENT).count() == 2, 60, "the rest", worker)
    time.sleep(1)
    assert per_recipient(smtp) == Counter(good * 2)
    assert not Delivery.objects.filter(subscriber=subscriber).exists()
