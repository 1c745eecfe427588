"""Issue 16's acceptance, through a real SMTP server: subscribe -> the confirmation mail ->
confirm -> a day is published -> exactly one digest mail, with only the chosen categories and
keywords and none of the excluded ones -> one-click unsubscribe (RFC 8058) -> nothing more."""

import re

import pytest
from django.urls import reverse

from digest.pipeline import build_digest
from followers.models import Delivery, Subscriber
from papers.models import Paper
from tests.conftest import REFERENCE_DAY

SUBSCRIBE = {
    "email": "Reader@Example.org",
    "categories": ["computer-vision"],
    "include": "diffusion, segment",
    "exclude": "wavelet",
    "language": "ko",
    "frequency": "daily",
}


def links(text: str) -> list[str]:
    return re.findall(r"https://digest\.example\.org/[^\s\"<>]+", text)


def parts(message) -> dict:
    leaves = [part for part in message.walk() if not part.is_multipart()]
    return {part.get_content_type(): part.get_content() for part in leaves}


def path_of(url: str) -> str:
    return url.removeprefix("https://digest.example.org")


@pytest.mark.django_db
def test_subscribe_confirm_publish_unsubscribe(client, smtp, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("followers-subscribe"), SUBSCRIBE)
    assert response.status_code == 302 and response["Location"] == reverse("followers-sent")

    # Only the confirmation until it is used.
    [confirmation] = smtp.received
    assert confirmation.recipients == ["reader@example.org"]
    message = confirmation.message
    assert message["To"] == "reader@example.org"
    assert "List-Unsubscribe" not in message
    body = parts(message)
    assert set(body) == {"text/plain", "text/html"}
    [confirm_url] = {u for u in links(body["text/plain"]) if "/follow/confirm/" in u}
    assert confirm_url in body["text/html"]
    subscriber = Subscriber.objects.get()
    assert subscriber.confirmed_at is None

    # The link opens a page with a button (link scanners confirm nothing); the button confirms.
    assert client.get(path_of(confirm_url)).status_code == 200
    assert Subscriber.objects.get().confirmed_at is None
    assert client.post(path_of(confirm_url)).status_code == 302
    assert Subscriber.objects.get().confirmed_at is not None

    with django_capture_on_commit_callbacks(execute=True):
        build_digest(REFERENCE_DAY)  # the publish stage's signal queues the day's mails

    [issue] = smtp.received[1:]
    message = issue.message
    delivery = Delivery.objects.get()
    assert delivery.state == Delivery.State.SENT and delivery.attempts == 1
    assert message["Message-ID"] == delivery.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    [unsubscribe_url] = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
    assert "2024-11-14" in message["Subject"]
    body = parts(message)
    text, html = body["text/plain"], body["text/html"]
    day_url = "https://digest.example.org" + reverse("day", args=[REFERENCE_DAY])
    assert day_url in text and f'href="{day_url}"' in html
    assert f"{day_url}chart.png" in html  # the chart image
    assert any("/follow/manage/" in u for u in links(text))
    # Only computer vision, only "diffusion" or "segment", never "wavelet".
    papers = Paper.objects.filter(digests__date=REFERENCE_DAY).select_related("category")
    listed = {p.title for p in papers if p.abs_url in text}
    assert listed == {
        "SAMPart3D: Segment Any Part in 3D Objects",
        "Scaling Properties of Diffusion Models for Perceptual Tasks",
    }
    assert all(f'href="{p.abs_url}"' in html for p in papers if p.title in listed)
    # The excluded keyword appears nowhere: neither its paper nor a finding citing it.
    assert "wavelet" not in text.lower() and "wavelet" not in html.lower()
    assert "핵심 발견" in text  # the followed category's key findings, as the day page says

    # Publishing again (an editor's rebuild) sends nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        build_digest(REFERENCE_DAY)
    assert len(smtp.received) == 2

    # RFC 8058 one-click: a POST without a session or CSRF token.
    response = client.post(
        path_of(unsubscribe_url),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()

    Delivery.objects.all().delete()
    from followers import tasks

    tasks.dispatch_day(REFERENCE_DAY.isoformat())
    assert len(smtp.received) == 2
