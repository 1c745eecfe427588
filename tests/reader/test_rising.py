"""The /rising/ page: the last week's papers that gained most since the refresh before, from
two scheduled refreshes of Hugging Face's recorded page (httpx.MockTransport), on the real
database."""

import datetime
import json

import httpx
import pytest
from django.urls import reverse

from digest.popularity import refresh_popularity
from papers.sources import http_backoff
from papers.sources.hf_daily import DailyPapers
from tests.conftest import FIXTURES

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
