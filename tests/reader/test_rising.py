"""The /rising/ page: the last week's papers that gained most since the refresh before, from
two scheduled refreshes of Hugging Face's recorded page (httpx.MockTransport), on the real
database."""

import datetime
import json
import re

import httpx
import pytest
from django.urls import reverse

from digest import pipeline
from digest.popularity import refresh_popularity
from papers.sources import http_backoff
from papers.sources.hf_daily import DailyPapers
from tests.conftest import DEMO_DAY, FIXTURES

pytestmark = pytest.mark.django_db
RECORDED = (FIXTURES / "hf" / "2024-11-13.json").read_bytes()  # the page of 2024-11-14's papers
THURSDAY = datetime.datetime(2024, 11, 14, 3, 30, tzinfo=datetime.UTC)
FRIDAY = datetime.datetime(2024, 11, 15, 3, 30, tzinfo=datetime.UTC)


def hugging_face(page: bytes) -> DailyPapers:
    def handler(request):
        listed = request.url.params["date"] == "2024-11-13"
        return httpx.Response(200, content=page if listed else b"[]")

    return DailyPapers.from_settings(
        transport=httpx.MockTransport(handler), backoff=http_backoff(sleep=lambda s: None)
    )


def later(gains: dict[str, int], stars: dict[str, int] | None = None) -> bytes:
    """The recorded page as Hugging Face gives it a day later: `gains` more upvotes, `stars`."""
    entries = json.loads(RECORDED)
    for entry in entries:
        entry["paper"]["upvotes"] += gains.get(entry["paper"]["id"], 0)
        if entry["paper"]["id"] in (stars or {}):
            entry["paper"]["githubRepo"] = "https://github.com/example/repo"
            entry["paper"]["githubStars"] = stars[entry["paper"]["id"]]
    return json.dumps(entries).encode()


def test_before_a_second_refresh_the_page_says_when_it_fills(client, reference_day):
    refresh_popularity(THURSDAY, daily_papers=hugging_face(RECORDED))
    response = client.get(reverse("rising"))
    assert response.status_code == 200 and response.context["rising"] == []
    assert "두 번째 갱신부터" in response.content.decode()  # Korean, the default


def test_the_papers_that_gained_most_come_first_with_their_tldr(
    client, reference_day, django_assert_num_queries
):
    refresh_popularity(THURSDAY, daily_papers=hugging_face(RECORDED))
    page = later({"2411.07133": 12, "2411.07975": 3}, stars={"2411.07184": 5})
    refresh_popularity(FRIDAY, daily_papers=hugging_face(page))
    # the two latest refresh days, the gains with their papers and categories, the TL;DRs
    with django_assert_num_queries(3):
        response = client.get(reverse("rising"))
    assert response.status_code == 200
    rising = response.context["rising"]
    assert [(s.paper.arxiv_id, s.upvotes_gained, s.stars_gained) for s in rising] == [
        ("2411.07133", 12, 0),
        ("2411.07184", 0, 5),
        ("2411.07975", 3, 0),
    ]
    html = response.content.decode()
    assert "▲ +12" in html and "★ +5" in html
    assert html.count('<p class="tldr ') == 3
    assert reverse("rising") in client.get(reverse("day", args=[reference_day])).content.decode()


def test_the_day_page_lists_its_papers_that_gained_most_and_links_to_rising(
    client, reference_day, django_assert_num_queries
):
    refresh_popularity(THURSDAY, daily_papers=hugging_face(RECORDED))
    page = later({"2411.07133": 12, "2411.07975": 3}, stars={"2411.07184": 5})
    refresh_popularity(FRIDAY, daily_papers=hugging_face(page))
    # As without a refresh (tests/reader/test_views.py), plus the gains: reader.pages.rising_gains
    # reads them for the rising page too.
    with django_assert_num_queries(8):
        html = client.get(reverse("day", args=[reference_day])).content.decode()

    rising = html.split('<section class="rising"')[1].split("</section>")[0]
    assert "급상승 논문" in rising  # Korean, the default
    listed = re.findall(r'<li><a href="/papers/([^/]+)/">', rising)
    assert listed == ["2411.07133", "2411.07184", "2411.07975"]  # most gained first
    assert "▲ +12" in rising and "★ +5" in rising and "▲ +3" in rising
    assert f'<a href="{reverse("rising")}">' in rising
    # Before the categories, and none of the day's other papers: they gained nothing.
    assert html.index('<section class="rising"') < html.index('<section class="category"')


def test_the_day_page_lists_only_its_own_rising_papers(client, reference_day, make_day):
    refresh_popularity(THURSDAY, daily_papers=hugging_face(RECORDED))
    refresh_popularity(FRIDAY, daily_papers=hugging_face(later({"2411.07133": 12})))
    make_day(3)
    pipeline.build_digest(DEMO_DAY)

    assert '<section class="rising"' in client.get(reverse("day", args=[reference_day])).text
    assert '<section class="rising"' not in client.get(reverse("day", args=[DEMO_DAY])).text
