"""The subscription pages speak Korean unless the reader chose English with the site's
language switch (/i18n/setlang/ and its cookie), like every other page."""

import pytest
from django.urls import reverse
from django.utils import timezone

from followers import tokens
from followers.models import Subscriber
from papers.models import Category


def pages(subscriber) -> dict:
    """Each page's address, and a phrase of it in Korean and in English."""
    return {
        reverse("followers-subscribe"): [
            ("Daily AI Insights를 메일로 받아보기", "Follow Daily AI Insights by email"),
            ("이메일 주소", "Email address"),
            ("제외할 키워드", "Excluded keywords"),
            (">매일</option>", ">Daily</option>"),
            ("/feeds/search.rss?q=diffusion", "/feeds/search.rss?q=diffusion"),
        ],
        reverse("followers-sent"): [("받은편지함을 확인하세요", "Check your inbox")],
        reverse("followers-confirm", args=[tokens.make(subscriber, tokens.CONFIRM)]): [
            ("구독 확인하기", "Confirm my subscription")
        ],
        reverse("followers-manage", args=[tokens.make(subscriber, tokens.MANAGE)]): [
            ("내 구독", "Your subscription"),
            ("확인됨: 메일은 <strong>a@example.org</strong>", "mail goes to <strong>a@exam"),
            ("구독과 내 데이터 삭제", "Delete my subscription and my data"),
        ],
        reverse("followers-unsubscribe", args=[tokens.make(subscriber, tokens.UNSUBSCRIBE)]): [
            ("구독을 해지하면", "Unsubscribing deletes your subscription")
        ],
        reverse("followers-manage", args=["not-a-token"]): [
            ("이 링크는 유효하지 않습니다", "This link is not valid")
        ],
    }


@pytest.mark.django_db
def test_the_pages_are_korean_by_default_and_english_after_the_switch(client):
    subscriber = Subscriber.objects.create(email="a@example.org", confirmed_at=timezone.now())
    llm = Category.objects.get(slug="llm")
    for url, phrases in pages(subscriber).items():
        html = client.get(url).content.decode()
        assert '<html lang="ko"' in html, url
        for korean, english in phrases:
            assert korean in html, (url, korean)
            assert english == korean or english not in html, (url, english)
        if url == reverse("followers-subscribe"):
            assert llm.name_ko in html

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    for url, phrases in pages(subscriber).items():
        html = client.get(url).content.decode()
        assert '<html lang="en"' in html, url
        for korean, english in phrases:
            assert english in html and (english == korean or korean not in html), (url, english)
        if url == reverse("followers-subscribe"):
            assert llm.name in html


@pytest.mark.django_db
def test_the_answers_to_a_post_follow_the_language_too(client, settings):
    settings.FOLLOWERS_RATE_PER_IP = 0
    subscriber = Subscriber.objects.create(email="a@example.org", confirmed_at=timezone.now())
    form = {"email": "b@example.org", "language": "ko", "frequency": "daily"}
    assert "요청이 너무 많습니다" in client.post(reverse("followers-subscribe"), form).text
    delete = reverse("followers-delete", args=[tokens.make(subscriber, tokens.MANAGE)])
    client.cookies["django_language"] = "en"
    assert "Too many requests" in client.post(reverse("followers-subscribe"), form).text
    assert "You are unsubscribed" in client.post(delete).text
