"""Search: PostgreSQL full-text search on GIN indexes, its SQLite fallback, and the page."""

import datetime

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse

from digest import pipeline
from papers.models import Paper
from reader import search
from summaries.models import CategorySummary
from tests.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db
EARLIER = DEMO_DAY - datetime.timedelta(days=1)


@pytest.fixture
def two_days(make_day):
    """The first 30 real papers announced the day before, the next 30 on the demo day."""
    make_day(30, day=EARLIER)
    pipeline.build_digest(EARLIER)
    make_day(60)
    pipeline.build_digest(DEMO_DAY)


def test_words_match_their_english_forms_newest_day_first(two_days):
    found = list(search.papers("diffusion"))
    expected = Paper.objects.filter(abstract__iregex=r"diffus|diffusion") | Paper.objects.filter(
        title__iregex="diffus"
    )
    assert {p.pk for p in found} == {p.pk for p in expected}
    days = [p.announced_on for p in found]
    assert days == sorted(days, reverse=True) and set(days) == {EARLIER, DEMO_DAY}
    # Stemming: "segmenting" finds "segmentation".
    assert any("segmentation" in p.abstract.lower() for p in search.papers("segmenting"))


def test_web_search_syntax_phrases_and_exclusions(two_days):
    phrase = list(search.papers('"large language models"'))
    assert phrase and all("large language model" in (p.title + p.abstract).lower() for p in phrase)
    without = list(search.papers('"large language models" -reasoning'))
    assert without and len(without) < len(phrase)
    assert all("reasoning" not in (p.title + p.abstract).lower() for p in without)


def test_unpublished_papers_are_not_found(make_day):
    make_day(60)
    pipeline.run_stage(DEMO_DAY, "ingest")
    assert not search.papers("diffusion").exists()


def test_korean_summary_words_match_with_their_particles(two_days):
    # The offline summaries say "…요약했습니다"; the stem alone finds them.
    assert search.summaries("요약").count() == CategorySummary.objects.count()
    assert not search.summaries("요약X").exists()
    english = search.summaries("model")
    assert english.exists() and all("model" in s.body.lower() for s in english)


def test_the_gin_indexes_serve_the_search_expressions(two_days):
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE papers_paper, summaries_categorysummary")
        cursor.execute("SET LOCAL enable_seqscan = off")
    query = SearchQuery("diffusion", config="english", search_type="websearch")
    papers = Paper.objects.annotate(search=search.PAPER_VECTOR).filter(search=query)
    assert "Bitmap Index Scan on paper_search" in papers.order_by().explain()
    prefix = SearchQuery("model:*", config="simple", search_type="raw")
    summaries = CategorySummary.objects.annotate(search=search.SUMMARY_VECTOR).filter(search=prefix)
    assert "Bitmap Index Scan on summary_search" in summaries.order_by().explain()


def test_search_page_shows_summaries_papers_and_marks_the_words(client, two_days):
    html = client.get(reverse("search"), {"q": "diffusion"}).text
    count = search.papers("diffusion").count()
    assert f"논문 {count}편이 검색되었습니다." in html
    assert "<mark>diffusion</mark>" in html.lower() or "<mark>Diffusion</mark>" in html
    first = search.papers("diffusion").first()
    assert f'href="/papers/{first.arxiv_id}/"' in html
    assert '<meta name="robots" content="noindex">' in html
    assert 'value="diffusion"' in html  # the query stays in the box


def test_search_pages_through_results(client, two_days):
    results = list(search.papers("model"))
    assert len(results) > search.PAGE_SIZE
    second = client.get(reverse("search"), {"q": "model", "page": 2}).text
    assert f'href="/papers/{results[search.PAGE_SIZE].arxiv_id}/"' in second
    assert f'href="/papers/{results[0].arxiv_id}/"' not in second
    assert 'rel="prev" href="?q=model&amp;page=1"' in second
    assert "요약</h2>" not in second  # summaries are on the first page only
    beyond = client.get(reverse("search"), {"q": "model", "page": "999"})
    assert beyond.status_code == 200 and 'rel="next"' not in beyond.text


def test_counting_stops_at_the_cap(client, two_days, monkeypatch):
    monkeypatch.setattr(search, "MAX_COUNTED", 5)
    html = client.get(reverse("search"), {"q": "model"}).text
    assert "논문 5편 이상이 검색되었습니다." in html


@pytest.mark.parametrize("size", [15, 150])
def test_search_query_count_does_not_grow(client, make_day, size, django_assert_num_queries):
    make_day(size)
    pipeline.build_digest(DEMO_DAY)
    with django_assert_num_queries(3):  # the capped count, one page of papers, the summaries
        response = client.get(reverse("search"), {"q": "model"})
    assert response.status_code == 200 and "<mark>" in response.text


def test_an_empty_or_hostile_query_is_harmless(client, two_days, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert client.get(reverse("search"), {"q": "  "}).status_code == 200
    html = client.get(reverse("search"), {"q": "<script>alert(1)</script> & | ! :* ("}).text
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_snippets_keep_formulas_whole_and_mark_words():
    text = "We bound the error by $\\tilde{\\mathcal{O}}(1/N\\epsilon^2)$ for diffusion models."
    html = search.snippet(text, ["diffusion"], width=30)
    assert "<math" in html and "<mark>diffusion</mark>" in html
    assert html.startswith("…") and "\\mathcal" in html  # kept as the formula's annotation


def test_without_full_text_search_every_word_must_occur(client, two_days, monkeypatch):
    """The SQLite demo's fallback (LIKE), here run on PostgreSQL with full-text search off."""
    monkeypatch.setattr(search, "full_text", lambda: False)
    found = list(search.papers("segmentation 3D"))
    assert found and all(
        "segmentation" in (p.title + p.abstract).lower() and "3d" in (p.title + p.abstract).lower()
        for p in found
    )
    assert search.summaries("요약했습니다").count() == CategorySummary.objects.count()
    html = client.get(reverse("search"), {"q": "segmentation 3D"}).text
    assert f'href="/papers/{found[0].arxiv_id}/"' in html and "<mark>3D</mark>" in html
