"""The day page: what a reader sees, what is escaped, and how many queries it costs."""

import json

import pytest
from django.urls import reverse

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Paper
from tests.conftest import DEMO_DAY, REFERENCE_DAY

pytestmark = pytest.mark.django_db
HEADINGS = [
    "핵심 주제 및 테마",
    "공통 키워드, 트렌드, 패턴",
    "주요 사건과 핵심 정보",
    "분야별 영향 분석",
    "결론 및 주목할 미래 발전",
]


def test_front_page_redirects_to_the_latest_published_day(client, reference_day, make_day):
    make_day(5)
    pipeline.build_digest(DEMO_DAY)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/days/2025-05-27/"


def test_front_page_before_any_digest_says_how_to_build_one(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "build_digest" in response.text and 'lang="ko"' in response.text


def test_day_page_shows_chart_categories_summaries_and_sources(client, reference_day):
    response = client.get(reverse("day", args=[REFERENCE_DAY]))
    assert response.status_code == 200
    html = response.text
    assert 'lang="ko"' in html and "2024-11-14 AI 논문" in html
    assert "/static/vendor/plotly/plotly.min.js" in html and "/static/js/chart.js" in html

    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    figure = response.context["figure"]["data"][0]
    assert figure["values"] == [s["count"] for s in digest.chart]
    assert figure["customdata"] == [s["slug"] for s in digest.chart]
    embedded = html.split('id="category-chart-data" type="application/json">')[1].split(
        "</script>"
    )[0]
    assert json.loads(embedded)["data"][0]["values"] == figure["values"]

    for slice_ in digest.chart:
        assert f'id="{slice_["slug"]}"' in html
        assert f"{slice_['emoji']} {slice_['name_ko']}" in html
    assert html.count(HEADINGS[0]) == len(digest.chart)
    positions = [html.index(heading) for heading in HEADINGS]
    assert positions == sorted(positions)
    for paper in digest.papers.all():
        assert f'href="{paper.abs_url}"' in html
    assert 'href="https://arxiv.org/abs/2411.07975"' in html  # JanusFlow, cited by its id


def test_unknown_and_malformed_dates_are_not_found(client, reference_day):
    for path in ["/days/2024-11-15/", "/days/2024-13-01/", "/days/2024-02-30/", "/days/today/"]:
        response = client.get(path)
        assert response.status_code == 404, path
    assert "/days/2025-05-27/" in client.get("/days/2024-11-15/").text


def test_unpublished_days_are_not_shown(client, make_day):
    make_day(5)
    pipeline.run_stage(DEMO_DAY, "ingest")
    assert client.get(reverse("day", args=[DEMO_DAY])).status_code == 404


def test_titles_are_escaped(client, make_day):
    payload = '<script>alert(1)</script><img src=x onerror="alert(2)">'
    make_day(3, edit=lambda row: row | {"title": row["title"] + payload})
    pipeline.build_digest(DEMO_DAY)
    html = client.get(reverse("day", args=[DEMO_DAY])).text
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("size", [15, 150])
def test_day_page_query_count_does_not_grow_with_the_day(
    client, make_day, size, django_assert_num_queries
):
    make_day(size)
    pipeline.build_digest(DEMO_DAY)
    assert Paper.objects.count() == size
    # digest, papers with categories, summaries, previous day, next day
    with django_assert_num_queries(5):
        response = client.get(reverse("day", args=[DEMO_DAY]))
    assert response.status_code == 200
