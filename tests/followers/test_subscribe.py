"""The subscription form and links: double opt-in, no enumeration, rate limits, CSRF, scoped
signed tokens, forgetting unconfirmed addresses, deleting everything on unsubscribe, and
hostile input on every field."""

import datetime

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from followers import tokens
from followers.models import Delivery, Subscriber
from followers.subscriptions import forget_unconfirmed

FORM = {"email": "a@example.org", "language": "ko", "frequency": "daily"}


def subscribe(client, capture, **fields):
    with capture(execute=True):
        return client.post(reverse("followers-subscribe"), {**FORM, **fields})


@pytest.fixture
def post(client, django_capture_on_commit_callbacks):
    return lambda **fields: subscribe(client, django_capture_on_commit_callbacks, **fields)


@pytest.mark.django_db
def test_the_form_page_has_a_pinned_query_count(client, django_assert_num_queries):
    with django_assert_num_queries(1):  # the categories to choose from
        response = client.get(reverse("followers-subscribe"))
    assert response.status_code == 200 and b"csrfmiddlewaretoken" in response.content


@pytest.mark.django_db
def test_the_answer_is_the_same_whatever_the_address_state(post, smtp):
    first = post()
    Subscriber.objects.update(confirmed_at=timezone.now())
    again = post()
    unknown = post(email="b@example.org")
    assert first.status_code == again.status_code == unknown.status_code == 302
    assert first["Location"] == again["Location"] == unknown["Location"]
    # Only the owner of the address learns anything: a confirmation, or its manage link.
    subjects = [r.message["Subject"] for r in smtp.received]
    assert subjects[0] == subjects[2] != subjects[1]
    assert "/follow/manage/" in smtp.handler.to("a@example.org")[1].raw.decode()


@pytest.mark.django_db
def test_a_confirmed_subscription_is_not_changed_by_a_new_request(post, smtp):
    post(include="diffusion")
    Subscriber.objects.update(confirmed_at=timezone.now())
    post(include="spam")
    assert Subscriber.objects.get().include == ["diffusion"]


@pytest.mark.django_db
def test_rate_limited_per_ip(post, smtp, settings):
    settings.FOLLOWERS_RATE_PER_IP = 2
    assert post().status_code == 302
    assert post(email="b@example.org").status_code == 302
    assert post(email="c@example.org").status_code == 429
    assert Subscriber.objects.count() == 2


@pytest.mark.django_db
def test_rate_limited_per_address_without_saying_so(post, smtp, settings):
    settings.FOLLOWERS_RATE_PER_ADDRESS = 2
    for _ in range(4):
        assert post().status_code == 302
    assert len(smtp.received) == 2


@pytest.mark.django_db
def test_csrf_is_enforced_on_the_form_but_not_on_one_click_unsubscribe(smtp):
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("followers-subscribe"), FORM).status_code == 403
    subscriber = Subscriber.objects.create(email="a@example.org", confirmed_at=timezone.now())
    url = reverse("followers-unsubscribe", args=[tokens.make(subscriber, tokens.UNSUBSCRIBE)])
    form = "application/x-www-form-urlencoded"
    response = client.post(url, "List-Unsubscribe=One-Click", content_type=form)
    assert response.status_code == 200
    assert not Subscriber.objects.exists()
    manage = reverse("followers-manage", args=[tokens.make(subscriber, tokens.MANAGE)])
    assert client.post(manage, {}).status_code in (403, 404)


@pytest.mark.django_db
def test_tokens_are_scoped_signed_and_revocable(client):
    one = Subscriber.objects.create(email="a@example.org")
    two = Subscriber.objects.create(email="b@example.org")
    confirm = tokens.make(one, tokens.CONFIRM)
    assert tokens.read(confirm, tokens.CONFIRM) == one
    assert tokens.read(confirm, tokens.MANAGE) is None  # another purpose
    assert tokens.read(confirm[:-2] + "xx", tokens.CONFIRM) is None  # tampered
    assert tokens.read(tokens.make(two, tokens.FEED), tokens.FEED) == two
    assert tokens.read("x" * 5000, tokens.CONFIRM) is None
    one.key = "rotated"
    one.save()
    assert tokens.read(confirm, tokens.CONFIRM) is None  # a new key revokes every link
    for name in ("followers-confirm", "followers-manage", "followers-unsubscribe"):
        assert client.get(reverse(name, args=[confirm])).status_code == 404


@pytest.mark.django_db
def test_confirmation_links_expire_and_unconfirmed_addresses_are_forgotten(client):
    with time_machine.travel(datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC), tick=False):
        old = Subscriber.objects.create(email="old@example.org")
        token = tokens.make(old, tokens.CONFIRM)
        kept = Subscriber.objects.create(email="kept@example.org", confirmed_at=timezone.now())
    with time_machine.travel(datetime.datetime(2026, 1, 8, 1, tzinfo=datetime.UTC), tick=False):
        assert client.post(reverse("followers-confirm", args=[token])).status_code == 404
        fresh = Subscriber.objects.create(email="new@example.org")
        assert forget_unconfirmed() == 1
    assert set(Subscriber.objects.all()) == {kept, fresh}


@pytest.mark.django_db
def test_deleting_a_subscription_deletes_its_data(client, reference_day):
    subscriber = Subscriber.objects.create(email="a@example.org", confirmed_at=timezone.now())
    Delivery.objects.create(
        subscriber=subscriber, kind="daily", issue=reference_day, message_id="<x@y>"
    )
    url = reverse("followers-delete", args=[tokens.make(subscriber, tokens.MANAGE)])
    assert client.post(url).status_code == 200
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()


@pytest.mark.django_db
def test_the_manage_page_changes_the_filters(client, django_assert_num_queries):
    subscriber = Subscriber.objects.create(email="a@example.org", confirmed_at=timezone.now())
    url = reverse("followers-manage", args=[tokens.make(subscriber, tokens.MANAGE)])
    with django_assert_num_queries(3):  # the subscriber, its categories, the choices
        assert client.get(url).status_code == 200
    choices = {"categories": ["llm"], "include": "RLHF", "language": "en", "frequency": "weekly"}
    response = client.post(url, choices)
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert [c.slug for c in subscriber.categories.all()] == ["llm"]
    assert subscriber.include == ["RLHF"]
    assert (subscriber.language, subscriber.frequency) == ("en", "weekly")


# Hostile input ------------------------------------------------------------------------------

BAD_EMAILS = [
    "a" * 250 + "@example.org",  # overlong
    "a@example.org\r\nBcc: victim@example.org",  # header injection
    "a@example.org\nSubject: hi",
    "a@example.org>, <b@example.org",
    '"a\r\n"@example.org',
    "ünïcode@example.org",  # non-ASCII local part: SMTPUTF8 is not assumed
    "a@exa\u202emple.org",  # a bidi override
    "a@example.org\x00",
    "",
]


@pytest.mark.django_db
@pytest.mark.parametrize("email", BAD_EMAILS)
def test_bad_addresses_are_refused_clearly(post, smtp, email):
    response = post(email=email)
    assert response.status_code == 200
    assert response.context["form"].errors["email"]
    assert not Subscriber.objects.exists() and not smtp.received


@pytest.mark.django_db
def test_an_internationalised_domain_is_stored_in_its_ascii_form(post, smtp):
    assert post(email="user@bücher.example").status_code == 302
    assert Subscriber.objects.get().email == "user@xn--bcher-kva.example"
    assert smtp.received[0].recipients == ["user@xn--bcher-kva.example"]


BAD_KEYWORDS = [
    "x" * 51,  # too long
    "a",  # too short
    ", ".join(f"word{i}" for i in range(21)),  # too many
    "diffusion\r\nBcc: victim@example.org",  # a newline inside a keyword is a separator…
    "RL\u202eHF",  # bidi override
    "LL\u200bM",  # zero-width space
    "nul\x00byte",
    "y" * 2001,
]


@pytest.mark.django_db
@pytest.mark.parametrize("keywords", BAD_KEYWORDS)
def test_bad_keywords_are_refused_clearly(post, smtp, keywords):
    response = post(include=keywords)
    if keywords.startswith("diffusion\r\n"):
        # …so this is two keywords, and neither can reach a header: only the address does.
        assert response.status_code == 302
        assert Subscriber.objects.get().include == ["diffusion", "Bcc: victim@example.org"]
        assert [r.recipients for r in smtp.received] == [["a@example.org"]]
        assert "victim" not in str(smtp.received[0].message["Bcc"])
        return
    assert response.status_code == 200
    assert response.context["form"].errors["include"]
    assert not Subscriber.objects.exists()


@pytest.mark.django_db
def test_keywords_are_normalised(post, smtp):
    post(include="ＬＬＭ,  diffusion   models , llm", exclude="Survey")
    subscriber = Subscriber.objects.get()
    assert subscriber.include == ["LLM", "diffusion models"]
    assert subscriber.exclude == ["Survey"]


@pytest.mark.django_db
def test_script_in_keywords_is_inert_everywhere(client, post, smtp):
    xss = "<script>alert(1)</script>"
    assert post(include=xss, exclude='"><img src=x onerror=alert(1)>').status_code == 302
    subscriber = Subscriber.objects.get()
    page = client.get(reverse("followers-manage", args=[tokens.make(subscriber, tokens.MANAGE)]))
    assert xss.encode() not in page.content and b"&lt;script&gt;" in page.content
    assert b"<img src=x" not in page.content
    raw = smtp.received[0].raw.decode()
    assert "<script>" not in raw
    feed = client.get(reverse("followers-search-rss"), {"q": xss}, follow=True)
    assert feed.redirect_chain[0][1] == 301  # to the search feed, which keeps it inert
    assert feed.status_code == 200 and b"<script>" not in feed.content
