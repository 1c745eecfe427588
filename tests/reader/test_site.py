"""Category, archive and paper pages, the sitemap, robots.txt and the error pages."""

import datetime
import json

import pytest
from django.db.models import F
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Paper
from tests.conftest import DEMO_DAY, REFERENCE_DAY, chart_slugs

pytestmark = pytest.mark.django_db


def embedded(html: str, element_id: str) -> dict:
    return json.loads(html.split(f'id="{element_id}" type="application/json">')[1].split("</")[0])


def build_days(make_day, sizes: dict[datetime.date, int]) -> None:
    for day, size in sizes.items():
        make_day(size, day=day)
        pipeline.build_digest(day)


def test_category_page_shows_its_weekly_share_and_latest_days(client, make_day):
    week_before = DEMO_DAY - datetime.timedelta(days=7)
    build_days(make_day, {week_before: 20, DEMO_DAY: 60})
    digest = DailyDigest.objects.get(date=DEMO_DAY)
    top = {**digest.chart[0], "slug": chart_slugs(digest.chart)[0]}
    response = client.get(reverse("category", args=[top["slug"]]))
    html = response.text
    assert response.status_code == 200
    assert f"{top['emoji']} {top['name_ko']}</h1>" in html

    figure = embedded(html, "trend-chart-data")["data"][0]
    shares = dict(zip(figure["x"], figure["customdata"], strict=True))
    assert shares["2025-05-26"] == [top["count"], 60]  # the week of Monday 2025-05-26
    assert figure["y"][-1] == round(100 * top["count"] / 60, 1)
    assert figure["y"][0] is None  # no published day that week: no bar, not 0%

    # Latest day first, linking to that category on the day page, with its featured papers.
    assert html.index(f'href="/days/{DEMO_DAY}/#{top["slug"]}"') < html.index(
        f'href="/days/{week_before}/#{top["slug"]}"'
    )
    cited = digest.summaries.get(category__slug=top["slug"]).papers.all()
    most_popular = cited.order_by(F("upvotes").desc(nulls_last=True), "arxiv_id").first()
    assert f'href="/papers/{most_popular.arxiv_id}/"' in html


@pytest.mark.parametrize("size", [15, 150])
def test_category_page_query_count_does_not_grow(client, make_day, size, django_assert_num_queries):
    build_days(make_day, {DEMO_DAY - datetime.timedelta(days=d): size for d in range(3)})
    slug = chart_slugs(DailyDigest.objects.get(date=DEMO_DAY).chart)[0]
    # category, latest day, trend days, summaries, their papers, their TL;DRs, all categories
    with django_assert_num_queries(7):
        assert client.get(reverse("category", args=[slug])).status_code == 200


def test_unknown_category_is_not_found(client):
    assert client.get(reverse("category", args=["no-such-thing"])).status_code == 404


def test_archive_is_a_calendar_of_published_days_by_month(
    client, reference_day, make_day, django_assert_num_queries
):
    build_days(make_day, {DEMO_DAY: 10})
    html = client.get(reverse("archive")).text  # the latest year
    assert "2025년 5월" in html and '<th scope="col">일</th>' in html
    assert f'<a href="/days/{DEMO_DAY}/"' in html and 'aria-label="2025-05-27: 논문 10편"' in html
    assert 'href="/archive/2024/"' in html
    with django_assert_num_queries(2):  # the years, the year's days
        older = client.get(reverse("archive-year", args=[2024])).text
    assert f'<a href="/days/{REFERENCE_DAY}/"' in older and "2024년 11월" in older
    assert client.get(reverse("archive-year", args=[2023])).status_code == 404


def test_archive_before_anything_is_published_says_how_to_build(client):
    assert "build_digest" in client.get(reverse("archive")).text


def test_paper_page_shows_abstract_metadata_category_decision_and_digests(
    client, reference_day, django_assert_num_queries
):
    paper = Paper.objects.get(arxiv_id="2411.07975")
    # paper with category, published days, citing summaries, its TL;DRs, related papers
    with django_assert_num_queries(5):
        html = client.get(reverse("paper", args=[paper.arxiv_id])).text
    assert "JanusFlow" in html and paper.abstract[:60] in html
    assert paper.authors[-1] in html
    assert 'href="https://arxiv.org/pdf/2411.07975">PDF</a>' in html
    assert f'href="/categories/{paper.category.slug}/"' in html
    assert "규칙으로 분류했습니다" in html and "신뢰도:" in html  # how it was decided
    assert f'href="/days/{REFERENCE_DAY}/#{paper.category.slug}"' in html
    assert "이 논문을 인용한 요약" in html


def test_papers_without_an_arxiv_id_have_pages_by_row_id(client, reference_day):
    paper = Paper.objects.filter(arxiv_id__isnull=True).first()
    day = client.get(reverse("day", args=[REFERENCE_DAY])).text
    assert f'href="/papers/id/{paper.pk}/"' in day
    page = client.get(reverse("paper-by-id", args=[paper.pk]))
    assert page.status_code == 200 and paper.title in page.text
    assert 'href="https://deeplearn.org/' in page.text


def test_papers_only_in_unpublished_days_are_not_shown(client, make_day):
    make_day(2)
    pipeline.run_stage(DEMO_DAY, "ingest")
    paper = Paper.objects.first()
    assert client.get(reverse("paper", args=[paper.arxiv_id])).status_code == 404
    assert client.get(reverse("paper", args=["2411.99999"])).status_code == 404


def test_sitemap_lists_published_days_categories_and_papers(client, reference_day):
    index = client.get("/sitemap.xml")
    assert index.status_code == 200
    for section in ("days", "categories", "papers"):
        assert f"http://testserver/sitemap-{section}.xml" in index.text
    days = client.get("/sitemap-days.xml").text
    assert "<loc>http://testserver/days/2024-11-14/</loc>" in days and "<lastmod>" in days
    assert (
        "<loc>http://testserver/categories/llm/</loc>" in client.get("/sitemap-categories.xml").text
    )
    papers = client.get("/sitemap-papers.xml").text
    assert papers.count("<url>") == Paper.objects.count() == 12
    assert "<loc>http://testserver/papers/2411.07975/</loc>" in papers


def test_robots_txt_points_to_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert "Sitemap: http://testserver/sitemap.xml" in response.text
    assert "Disallow: /admin/" in response.text


def test_server_error_page_is_self_contained(settings):
    settings.DEBUG = False
    response = server_error(RequestFactory().get("/"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "서버에서 오류가 발생했습니다" in html and 'lang="ko"' in html
