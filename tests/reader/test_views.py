"""The day page: what a reader sees, what is escaped, and how many queries it costs."""

import datetime
import gzip
import json

import pytest
from django.urls import reverse

from digest import pipeline
from digest.models import DailyDigest
from papers.models import Paper
from summaries.models import CategorySummary
from summaries.services import summarise_digest
from tests.conftest import DEMO_DAY, REFERENCE_DAY, chart_slugs

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
    assert figure["customdata"] == chart_slugs(digest.chart)
    embedded = html.split('id="category-chart-data" type="application/json">')[1].split(
        "</script>"
    )[0]
    assert json.loads(embedded)["data"][0]["values"] == figure["values"]

    for slice_, slug in zip(digest.chart, chart_slugs(digest.chart), strict=True):
        assert f'id="{slug}"' in html
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
    # The digest, its papers, their TL;DRs, the summaries, the categories, the neighbouring days
    # with the papers' last change, and the popularity refresh days for the day's rising papers
    # (no refresh yet: their gains are not asked; tests/reader/test_rising.py pins that case).
    with django_assert_num_queries(7):
        response = client.get(reverse("day", args=[DEMO_DAY]))
    assert response.status_code == 200


def test_day_page_lists_featured_papers_then_every_paper_with_authors_and_links(
    client, reference_day
):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    html = client.get(reverse("day", args=[REFERENCE_DAY])).text
    janus = Paper.objects.get(arxiv_id="2411.07975")
    # Cited by its summary's first finding, and listed with every paper of its category: with
    # its popularity, linked to its page here and to arXiv.
    section = html.split(f'id="{janus.category.slug}"')[1].split('<section class="category"')[0]
    featured = section.split('class="all-papers"')[1]
    assert f'href="/papers/{janus.arxiv_id}/"' in featured
    assert f"▲ {janus.upvotes}" in featured
    assert 'href="https://arxiv.org/pdf/2411.07975">PDF</a>' in featured
    assert f"{janus.authors[0]}, {janus.authors[1]}, {janus.authors[2]} 외 " in featured
    # Findings link the papers they cite.
    assert f'<a class="cite" href="/papers/{janus.arxiv_id}/"' in section
    # Every category links to its own page; the days link to each other.
    for slug in chart_slugs(digest.chart):
        assert f'href="/categories/{slug}/"' in html


def test_day_page_collapses_all_papers_and_links_the_neighbouring_days(client, make_day):
    make_day(40)
    pipeline.build_digest(DEMO_DAY)
    earlier = DEMO_DAY - datetime.timedelta(days=1)
    make_day(5, day=earlier)
    pipeline.build_digest(earlier)
    html = client.get(reverse("day", args=[DEMO_DAY])).text
    assert '<details class="all-papers"' in html and "모두 보기" in html
    assert f'rel="prev" href="/days/{earlier.isoformat()}/"' in html
    assert 'rel="next"' not in html
    assert (
        f'rel="next" href="/days/{DEMO_DAY.isoformat()}/"'
        in client.get(reverse("day", args=[earlier])).text
    )


def test_day_page_has_open_graph_tags_and_caching_headers(client, reference_day):
    response = client.get(reverse("day", args=[REFERENCE_DAY]))
    html = response.text
    assert '<meta property="og:title" content="2024-11-14 AI 논문">' in html
    assert '<meta property="og:url" content="http://testserver/days/2024-11-14/">' in html
    assert '<meta property="og:locale" content="ko_KR">' in html
    assert (
        '<meta property="og:image" content="http://testserver/days/2024-11-14/chart.png">' in html
    )
    assert response["ETag"] and response["Last-Modified"]
    assert "max-age=300" in response["Cache-Control"] and "Cookie" in response["Vary"]

    again = client.get(
        reverse("day", args=[REFERENCE_DAY]), headers={"if-none-match": response["ETag"]}
    )
    assert again.status_code == 304 and again.content == b""
    since = client.get(
        reverse("day", args=[REFERENCE_DAY]),
        headers={"if-modified-since": response["Last-Modified"]},
    )
    assert since.status_code == 304


def test_pages_are_served_gzipped_to_clients_that_take_it(client, reference_day):
    url = reverse("day", args=[REFERENCE_DAY])
    plain = client.get(url)
    packed = client.get(url, headers={"accept-encoding": "gzip, deflate, br"})
    assert packed["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) < len(plain.content) / 3
    assert packed["ETag"] == "W/" + plain["ETag"]
    again = client.get(url, headers={"accept-encoding": "gzip", "if-none-match": packed["ETag"]})
    assert again.status_code == 304


def test_a_published_day_is_rendered_once_and_rerendered_after_a_change(
    client, reference_day, django_assert_num_queries
):
    url = reverse("day", args=[REFERENCE_DAY])
    first = client.get(url)
    with django_assert_num_queries(0):
        cached = client.get(url)
    assert cached.content == first.content

    # An editor's fix (a model save, as in the admin) is visible on the next visit.
    paper = Paper.objects.get(arxiv_id="2411.07975")
    paper.title = "JanusFlow, corrected by an editor"
    paper.save()
    changed = client.get(url)
    assert "JanusFlow, corrected by an editor" in changed.text
    assert changed["ETag"] != first["ETag"]


@pytest.mark.parametrize(
    "payload",
    [
        '<script>alert("t")</script>',
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        "$<script>alert(1)</script>$ and $\\text{<img src=x onerror=alert(1)>}$",
    ],
)
def test_payloads_in_titles_abstracts_and_summaries_come_out_inert(client, make_day, payload):
    make_day(
        3,
        edit=lambda row: (
            row | {"title": row["title"] + payload, "abstract": payload + " " + row["abstract"]}
        ),
    )
    pipeline.build_digest(DEMO_DAY)
    paper = Paper.objects.order_by("pk").first()
    summary = CategorySummary.objects.filter(digest__date=DEMO_DAY).first()
    sections = summary.sections
    sections["themes"] = [payload, *sections["themes"]]
    summary.sections = sections
    summary.save()

    pages = [
        client.get(reverse("day", args=[DEMO_DAY])).text,
        client.get(reverse("paper", args=[paper.arxiv_id])).text,
        client.get(reverse("category", args=[summary.category.slug])).text,
        client.get(reverse("search"), {"q": paper.title.split()[0]}).text,
    ]
    for html in pages:
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html
        assert any(text in html for text in ("&lt;script&gt;", "&lt;img src=x", "&lt;a href"))


def test_stored_links_other_than_http_never_become_hrefs(client, make_day):
    make_day(2)
    pipeline.build_digest(DEMO_DAY)
    Paper.objects.filter(pk=Paper.objects.order_by("pk").first().pk).update(
        abs_url="javascript:alert(1)", pdf_url="JavaScript:alert(2)"
    )
    Paper.objects.first().save()  # updates through the ORM invalidate cached pages
    html = client.get(reverse("day", args=[DEMO_DAY])).text
    assert "javascript:" not in html.lower()


def test_the_language_switch_is_explicit_and_remembered(client, reference_day, settings):
    url = reverse("day", args=[REFERENCE_DAY])
    # A browser asking for English still gets the Korean site.
    korean = client.get(url, headers={"accept-language": "en-US,en;q=0.9"})
    assert 'lang="ko"' in korean.text and "2024-11-14 AI 논문" in korean.text
    assert 'action="/i18n/setlang/"' in korean.text

    switched = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert switched.status_code == 302 and switched["Location"] == url
    english = client.get(url)
    assert 'lang="en"' in english.text and "AI papers of 2024-11-14" in english.text
    assert english["Content-Language"] == "en"
    assert english.content != korean.content  # cached separately per language

    client.post(reverse("set_language"), {"language": "ko", "next": url})
    assert 'lang="ko"' in client.get(url).text


def test_summaries_are_shown_in_the_chosen_language_when_stored(client, reference_day):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    summarise_digest(digest, language="en")
    url = reverse("day", args=[REFERENCE_DAY])
    assert HEADINGS[0] in client.get(url).text
    client.post(reverse("set_language"), {"language": "en", "next": url})
    html = client.get(url).text
    assert "Key themes" in html and HEADINGS[0] not in html
    assert 'class="summary" lang="en"' in html


def test_front_page_and_unknown_pages_use_the_site_templates(client, reference_day):
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Daily AI Insights" in response.text and 'href="/archive/"' in response.text
