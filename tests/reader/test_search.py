"""Search: PostgreSQL full-text search on GIN indexes, its SQLite fallback, and the page."""

import datetime
import json

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.urls import reverse

from digest import pipeline
from papers.models import Paper
from reader import search
from summaries.models import CategorySummary
from tests.conftest import BUNDLED, DEMO_DAY

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
    found = list(search.papers("diffusion", search.NEWEST))
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
    """The page counts, and pages through, the newest MAX_COUNTED matches, in either order."""
    monkeypatch.setattr(search, "MAX_COUNTED", 5)
    html = client.get(reverse("search"), {"q": "model"}).text
    assert "논문 5편 이상이 검색되었습니다." in html
    newest = client.get(reverse("search"), {"q": "model", "sort": "newest"}).text
    assert "논문 5편 이상이 검색되었습니다." in newest
    first = search.papers("model", search.NEWEST).first()
    assert f'href="/papers/{first.arxiv_id}/"' in newest


@pytest.mark.parametrize("size", [15, 150])
def test_search_query_count_does_not_grow(client, make_day, size, django_assert_num_queries):
    make_day(size)
    pipeline.build_digest(DEMO_DAY)
    # The categories (for the filter), the ids of the newest matches (what is counted and
    # paged through), one page of papers, their TL;DRs (one query added with them, issue 15), the
    # summaries; and on the first search after a publication, the newest published day.
    with django_assert_num_queries(6):
        client.get(reverse("search"), {"q": "diffusion"})
    for params in ({}, {"sort": "newest"}, {"category": "computer-vision", "from": "2025-01-01"}):
        with django_assert_num_queries(5):
            response = client.get(reverse("search"), {"q": "model"} | params)
        assert response.status_code == 200 and "<mark>" in response.text
        assert '<p class="tldr tldr-extract">' in response.text  # each result's TL;DR


def test_an_empty_or_hostile_query_is_harmless(client, two_days, django_assert_num_queries):
    with django_assert_num_queries(1):  # the categories, for the filter
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


# Relevance, the sort switch, filters ----------------------------------------------------------


def _ids(size: int) -> list[str]:
    lines = (BUNDLED / DEMO_DAY.isoformat() / "arxiv.jsonl").read_text().splitlines()[:size]
    return [json.loads(line)["arxiv_id"] for line in lines]


@pytest.fixture
def quokka(make_day):
    """Paper 0, announced the day before, has "QuokkaNet" in its title; papers 10–14, announced
    on the demo day (newer), mention QuokkaNet in their abstracts only. Paper 1's abstract
    carries markup."""
    ids = _ids(20)
    titled, mentions, markup = ids[0], set(ids[10:15]), ids[1]

    def edit(paper):
        if paper["arxiv_id"] == titled:
            paper["title"] = "QuokkaNet: " + paper["title"]
        elif paper["arxiv_id"] in mentions:
            paper["abstract"] += " We compare against QuokkaNet and other quokkanet variants."
        elif paper["arxiv_id"] == markup:
            paper["abstract"] = (
                "Our <script>alert(1)</script> & <b>quokkanet</b> baseline. " + (paper["abstract"])
            )
        return paper

    make_day(10, day=EARLIER, edit=edit)
    pipeline.build_digest(EARLIER)
    make_day(20, edit=edit)
    pipeline.build_digest(DEMO_DAY)
    return {"titled": titled, "mentions": mentions, "markup": markup}


def test_a_title_match_ranks_above_newer_papers_that_mention_it_in_the_abstract(quokka):
    ranked = [p.arxiv_id for p in search.papers("quokkanet")]
    assert ranked[0] == quokka["titled"]
    assert set(ranked[1:]) == quokka["mentions"] | {quokka["markup"]}
    newest = [p.arxiv_id for p in search.papers("quokkanet", search.NEWEST)]
    assert set(newest[:5]) == quokka["mentions"]  # the demo day's papers first
    assert newest.index(quokka["titled"]) > 4


def test_at_equal_relevance_the_newer_paper_wins(make_day):
    ids = _ids(20)

    def edit(paper):  # the same title on two days: the only difference is the date
        if paper["arxiv_id"] in (ids[0], ids[15]):
            paper["title"], paper["abstract"] = "Wombat routing", "Wombat routing for graphs."
        return paper

    make_day(10, day=EARLIER, edit=edit)
    pipeline.build_digest(EARLIER)
    make_day(20, edit=edit)
    pipeline.build_digest(DEMO_DAY)
    assert [p.arxiv_id for p in search.papers("wombat routing")] == [ids[15], ids[0]]


def test_the_page_switches_sort_and_keeps_it_in_its_links(client, quokka, monkeypatch):
    monkeypatch.setattr(search, "PAGE_SIZE", 2)
    html = client.get(reverse("search"), {"q": "quokkanet"}).text
    assert '<strong aria-current="true">관련도순</strong>' in html
    assert 'href="?q=quokkanet&amp;sort=newest">최신순</a>' in html
    assert html.index(f"/papers/{quokka['titled']}/") < html.index('rel="next"')
    assert 'rel="next" href="?q=quokkanet&amp;page=2">다음 →' in html
    newest = client.get(reverse("search"), {"q": "quokkanet", "sort": "newest"}).text
    assert '<strong aria-current="true">최신순</strong>' in newest
    assert f"/papers/{quokka['titled']}/" not in newest  # on a later page now
    assert 'rel="next" href="?q=quokkanet&amp;sort=newest&amp;page=2">이전 →' in newest
    assert '<input type="hidden" name="sort" value="newest">' in newest  # the form keeps it


def test_category_and_date_filters_narrow_papers_and_summaries(client, quokka):
    titled = Paper.objects.get(arxiv_id=quokka["titled"])
    other = Paper.objects.filter(arxiv_id__in=quokka["mentions"]).exclude(category=titled.category)
    assert other.exists()  # the papers fall into more than one category
    by_category = search.Filters(category=titled.category.slug)
    found = search.papers("quokkanet", filters=by_category)
    assert all(p.category == titled.category for p in found)
    by_date = search.Filters(since=DEMO_DAY)
    found = search.papers("quokkanet", filters=by_date)
    assert {p.arxiv_id for p in found} == quokka["mentions"]
    until = search.Filters(until=EARLIER)
    assert next(iter(search.papers("quokkanet", filters=until))).arxiv_id == quokka["titled"]
    assert {s.digest.date for s in search.summaries("요약", filters=until)} == {EARLIER}
    one = search.summaries("요약", filters=by_category)
    assert one.exists() and {s.category for s in one} == {titled.category}

    params = {"q": "quokkanet", "category": titled.category.slug, "from": "2020-01-01",
              "to": DEMO_DAY.isoformat()}  # fmt: skip
    html = client.get(reverse("search"), params).text
    keep = f"q=quokkanet&amp;category={titled.category.slug}&amp;from=2020-01-01&amp;to={DEMO_DAY}"
    assert f'href="?{keep}&amp;sort=newest"' in html  # the sort switch keeps the filters
    assert f'href="/feeds/search.rss?{keep}"' in html  # and so does the feed
    assert f'<option value="{titled.category.slug}" selected>' in html
    assert 'name="from" value="2020-01-01"' in html
    # Unreadable filters are ignored, not errors.
    bad = client.get(reverse("search"), {"q": "quokkanet", "from": "yesterday", "category": "../x"})
    assert bad.status_code == 200 and f"/papers/{quokka['titled']}/" in bad.text


def test_the_search_feed_keeps_the_filters_newest_first(client, quokka, django_assert_num_queries):
    with django_assert_num_queries(1):  # the papers with their categories
        rss = client.get(reverse("feed-search-rss"), {"q": "quokkanet", "from": DEMO_DAY})
    assert rss.status_code == 200 and rss["Content-Type"].startswith("application/rss+xml")
    text = rss.text
    assert all(f"oai:arXiv.org:{i}" in text for i in quokka["mentions"])
    assert f"oai:arXiv.org:{quokka['titled']}" not in text  # announced before `from`
    atom = client.get(reverse("feed-search-atom"), {"q": "quokkanet"}).text
    assert f"oai:arXiv.org:{quokka['titled']}" in atom and "<feed" in atom
    empty = client.get(reverse("feed-search-rss"), {"q": ""})
    assert empty.status_code == 200 and "<item>" not in empty.text


def test_the_search_feed_leaves_out_excluded_keywords_with_the_followers_filter(client, quokka):
    """/feeds/search.rss?q=…&exclude=… excludes with papers.keywords, the filter the daily email
    and the personal feeds use: "variants" is in the abstracts of the papers that mention it."""
    params = {"q": "quokkanet", "exclude": "variants, markup-free"}
    text = client.get(reverse("feed-search-rss"), params).text
    assert not any(f"oai:arXiv.org:{i}" in text for i in quokka["mentions"])
    assert f"oai:arXiv.org:{quokka['titled']}" in text
    hidden = client.get(reverse("feed-search-rss"), {"q": "quokkanet", "exclude": "a\u202eb"})
    assert hidden.status_code == 404  # an invisible character is refused, not matched


def test_snippets_mark_matches_by_stem_and_escape_the_rest(client, quokka):
    html = client.get(reverse("search"), {"q": "quokkanet"}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;<mark>quokkanet</mark>" in html
    stemmed = client.get(reverse("search"), {"q": "variant"}).text  # ts_headline: by stem
    assert "<mark>variants</mark>" in stemmed


def test_relevance_ranks_a_bounded_set_of_candidates(quokka, monkeypatch):
    """A common word matches a good part of the table: RANKED matches are ranked, taken from
    the most recent window of days first (here the newest day, then the days before it)."""
    monkeypatch.setattr(search, "RANKED", 3)
    monkeypatch.setattr(search, "WINDOWS", (0,))
    ranked = list(search.papers("quokkanet"))
    assert len(ranked) == 3 and {p.announced_on for p in ranked} == {DEMO_DAY}
    assert search.matching("quokkanet").count() == 7  # of which the 3 newest are ranked
