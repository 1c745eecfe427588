"""RSS 2.0 and Atom feeds: valid, stable, capped, cheap, and answered with 304 when unchanged."""

import datetime
import gzip
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from urllib.parse import urlparse

import feedparser
import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import feed_versions
from reader.markdown import summary_html
from summaries.models import CategorySummary, PaperBrief
from tests.conftest import FIXTURES, REFERENCE_DAY

pytestmark = pytest.mark.django_db
REPORTS = FIXTURES / "origin" / "reports"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FEEDS = [
    ("feed-daily-rss", []),
    ("feed-daily-atom", []),
    ("feed-category-rss", ["computer-vision"]),
    ("feed-category-atom", ["computer-vision"]),
    ("feed-papers-rss", ["computer-vision"]),
    ("feed-papers-atom", ["computer-vision"]),
]


@pytest.fixture
def days(reference_day):
    """Two published days: one built by the pipeline, one imported from a reference report."""
    call_command("import_report", str(REPORTS / "Papers_2024-11-13_report.md"))
    return [REFERENCE_DAY, datetime.date(2024, 11, 13)]


def absolute(url: str) -> bool:
    parsed = urlparse(url)
    return parsed.scheme in {"http", "https"} and bool(parsed.netloc)


def check_rss(content: bytes) -> list[ET.Element]:
    """RSS 2.0: required channel and item elements, RFC 822 dates, guid permalink semantics."""
    root = ET.fromstring(content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    assert channel.findtext("title") and channel.findtext("description")
    assert absolute(channel.findtext("link")) and channel.findtext("language") == "ko"
    assert absolute(channel.find(f"{ATOM}link[@rel='self']").get("href"))
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")).tzinfo
    items = channel.findall("item")
    guids = [item.findtext("guid") for item in items]
    assert len(set(guids)) == len(guids)
    for item in items:
        assert item.findtext("title") and item.findtext("description")
        assert absolute(item.findtext("link"))
        assert parsedate_to_datetime(item.findtext("pubDate")).tzinfo
        guid = item.find("guid")
        if guid.get("isPermaLink", "true") == "true":  # a permalink must be a URL to open
            assert absolute(guid.text)
        else:
            assert urlparse(guid.text).scheme in {"urn", "oai"}
    return items


def check_atom(content: bytes) -> list[ET.Element]:
    """Atom 1.0: required feed and entry elements, RFC 3339 dates, absolute ids and links."""
    root = ET.fromstring(content)
    assert root.tag == f"{ATOM}feed" and root.get(XML_LANG) == "ko"
    assert root.findtext(f"{ATOM}title") and root.findtext(f"{ATOM}author/{ATOM}name")
    assert urlparse(root.findtext(f"{ATOM}id")).scheme == "urn"
    assert datetime.datetime.fromisoformat(root.findtext(f"{ATOM}updated")).tzinfo
    for rel in ("self", "alternate"):
        assert absolute(root.find(f"{ATOM}link[@rel='{rel}']").get("href"))
    entries = root.findall(f"{ATOM}entry")
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == len(ids)
    for entry in entries:
        assert entry.findtext(f"{ATOM}title")
        assert urlparse(entry.findtext(f"{ATOM}id")).scheme in {"urn", "oai", "https"}
        updated = datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}updated"))
        published = datetime.datetime.fromisoformat(entry.findtext(f"{ATOM}published"))
        assert updated >= published
        assert absolute(entry.find(f"{ATOM}link[@rel='alternate']").get("href"))
        assert entry.find(f"{ATOM}summary").get("type") == "html"
    return entries


@pytest.mark.parametrize(("name", "args"), FEEDS)
def test_every_feed_is_valid_and_parses_without_a_bozo_flag(client, days, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.feed.language == "ko" if name.endswith("rss") else parsed.feed.title
    items = (check_rss if name.endswith("rss") else check_atom)(response.content)
    assert len(items) == len(parsed.entries) > 0
    assert response["Content-Type"].startswith(
        "application/rss+xml" if name.endswith("rss") else "application/atom+xml"
    )


def test_the_daily_feed_has_one_item_per_day_with_chart_summaries_and_sources(client, days):
    parsed = feedparser.parse(client.get(reverse("feed-daily-rss")).content)
    assert [e.id for e in parsed.entries] == [
        "urn:daily-ai-insights:day:2024-11-14",
        "urn:daily-ai-insights:day:2024-11-13",
    ]
    assert parsed.entries[0].link == "http://testserver/days/2024-11-14/"
    assert parsed.entries[0].title.startswith("2024-11-14 AI 논문")

    for entry, day in zip(parsed.entries, days, strict=True):
        html = entry.description
        assert f'src="http://testserver/days/{day.isoformat()}/chart.png"' in html
        digest = DailyDigest.objects.get(date=day)
        positions = [
            html.index(f"{s['emoji']} {s['name_ko']} ({s['count']})") for s in digest.chart
        ]
        assert positions == sorted(positions)
        for summary in digest.summaries.prefetch_related("papers"):
            assert all(f'href="{p.abs_url}"' in html for p in summary.papers.all())
    imported = parsed.entries[1].description
    assert "<strong>" in imported and "SAMPart" not in imported  # 11-13's own text and papers
    assert "<script" not in imported


def test_days_without_an_announcement_are_not_feed_items(client, days):
    DailyDigest.objects.create(
        date=datetime.date(2024, 11, 16),
        status=DailyDigest.Status.NO_ANNOUNCEMENT,
        published_at=timezone.now(),
    )
    parsed = feedparser.parse(client.get(reverse("feed-daily-atom")).content)
    assert [e.id for e in parsed.entries] == [
        "urn:daily-ai-insights:day:2024-11-14",
        "urn:daily-ai-insights:day:2024-11-13",
    ]


def test_category_feeds_carry_the_category_day_by_day(client, days):
    parsed = feedparser.parse(
        client.get(reverse("feed-category-atom", args=["multimodal"])).content
    )
    assert parsed.feed.title == "Daily AI Insights · ❄️ 멀티모달"
    assert [e.id for e in parsed.entries] == [
        "urn:daily-ai-insights:summary:2024-11-14:multimodal",
        "urn:daily-ai-insights:summary:2024-11-13:multimodal",
    ]
    assert parsed.entries[0].link == "http://testserver/days/2024-11-14/#multimodal"
    assert "JanusFlow" in parsed.entries[0].summary
    assert [t.term for t in parsed.entries[0].tags] == ["Multimodal"]


def test_paper_feeds_identify_papers_by_arxiv_id_or_url(client, days):
    response = client.get(reverse("feed-papers-rss", args=["computer-vision"]))
    items = {item.findtext("title"): item for item in check_rss(response.content)}
    sampart = items["SAMPart3D: Segment Any Part in 3D Objects"]
    assert sampart.findtext("guid") == "oai:arXiv.org:2411.07184"
    assert sampart.find("guid").get("isPermaLink") == "false"
    assert sampart.findtext("link") == "https://arxiv.org/abs/2411.07184"
    deeplearn = [
        p for p in Paper.objects.filter(category__slug="computer-vision") if not p.arxiv_id
    ]
    for paper in deeplearn:
        guid = items[paper.title].find("guid")
        assert guid.text == paper.abs_url and guid.get("isPermaLink") == "true"
    published = DailyDigest.objects.get(date=REFERENCE_DAY).published_at
    assert parsedate_to_datetime(sampart.findtext("pubDate")) == published.replace(microsecond=0)
    authored = next(p for p in Paper.objects.filter(category__slug="computer-vision") if p.authors)
    creator = items[authored.title].findtext("{http://purl.org/dc/elements/1.1/}creator")
    assert creator.startswith(authored.authors[0])


def test_paper_feeds_carry_the_tldr_and_a_changed_tldr_is_a_new_version(client, days):
    url = reverse("feed-papers-atom", args=["computer-vision"])
    first = client.get(url)
    entries = {e.title: e for e in feedparser.parse(first.content).entries}
    sampart = entries["SAMPart3D: Segment Any Part in 3D Objects"]
    brief = PaperBrief.objects.get(paper__arxiv_id="2411.07184", language="ko")
    assert brief.text and brief.text in sampart.summary

    # An editor corrects the TL;DR an hour later: a new version, the entry updated with it.
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        brief.text, brief.source, brief.locked = "편집자가 고친 요약.", "editor", True
        brief.save()
    changed = client.get(url, headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    entry = {e.title: e for e in feedparser.parse(changed.content).entries}[sampart.title]
    assert "편집자가 고친 요약." in entry.summary and entry.updated_parsed > sampart.updated_parsed
    newest = max(e.updated_parsed for e in feedparser.parse(changed.content).entries)
    assert parsedate_to_datetime(changed["Last-Modified"]).utctimetuple()[:6] == newest[:6]


@pytest.mark.parametrize("name", [n for n, args in FEEDS if args])
def test_unknown_categories_are_not_found(client, name):
    url = reverse(name, args=["no-such-category"])
    for headers in ({}, {"if-none-match": "*"}):
        response = client.get(url, headers=headers)
        assert response.status_code == 404  # never a 304 for a feed that does not exist


def test_item_counts_are_capped(client, days, monkeypatch):
    monkeypatch.setattr(feed_versions, "DAYS", 1)
    monkeypatch.setattr(feed_versions, "SUMMARIES", 1)
    monkeypatch.setattr(feed_versions, "PAPERS", 2)
    for name, args in FEEDS:
        entries = feedparser.parse(client.get(reverse(name, args=args)).content).entries
        assert len(entries) == (2 if "papers" in name else 1), name


@pytest.mark.parametrize(
    ("name", "args", "queries", "not_modified"),
    [
        # state; days; their summaries with categories; the summaries' papers
        ("feed-daily-rss", [], 4, 1),
        # state and the category's fields; the category; its summaries with days; their papers
        ("feed-category-atom", ["computer-vision"], 5, 2),
        # state and the category's fields; the category; its papers; their TL;DRs (one query
        # added with them, issue 15)
        ("feed-papers-rss", ["computer-vision"], 5, 2),
    ],
)
def test_query_counts_are_pinned_and_do_not_grow_with_the_days(
    client, days, django_assert_num_queries, name, args, queries, not_modified
):
    url = reverse(name, args=args)
    with django_assert_num_queries(queries):
        first = client.get(url)
    call_command("import_report", str(REPORTS / "Papers_2025-01-22_report.md"))
    call_command("import_report", str(REPORTS / "Papers_2024-11-06_report.md"))
    with django_assert_num_queries(queries):
        more = client.get(url)
    assert len(feedparser.parse(more.content).entries) > len(
        feedparser.parse(first.content).entries
    )
    with django_assert_num_queries(not_modified):
        assert client.get(url, headers={"if-none-match": more["ETag"]}).status_code == 304


@pytest.mark.parametrize(("name", "args"), FEEDS)
def test_unchanged_feeds_answer_304_and_an_editors_change_is_a_new_version(
    client, days, name, args
):
    url = reverse(name, args=args)
    first = client.get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    if name.endswith("atom"):  # the header is the newest entry's update
        newest = max(e.updated_parsed for e in feedparser.parse(first.content).entries)
        assert parsedate_to_datetime(last_modified).utctimetuple()[:6] == newest[:6]

    for headers in ({"if-none-match": etag}, {"if-modified-since": last_modified}):
        not_modified = client.get(url, headers=headers)
        assert not_modified.status_code == 304 and not not_modified.content
        assert not_modified["ETag"] == etag

    # An editor moves a listed paper an hour later: every feed showing it changes.
    paper = Paper.objects.get(arxiv_id="2411.07184")  # SAMPart3D, computer vision, 2024-11-14
    summary = CategorySummary.objects.get(
        digest__date=REFERENCE_DAY, category__slug="computer-vision"
    )
    with time_machine.travel(timezone.now() + datetime.timedelta(hours=1)):
        paper.category = Category.objects.get(slug="computer-vision")
        paper.category_method = Paper.Method.EDITOR
        paper.save()
        summary.body += "\n\n편집자 메모."
        summary.save()
    changed = client.get(url, headers={"if-none-match": etag, "if-modified-since": last_modified})
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert parsedate_to_datetime(changed["Last-Modified"]) > parsedate_to_datetime(last_modified)


@pytest.mark.parametrize(("name", "args"), FEEDS)
def test_a_feed_is_rendered_once_per_version_and_served_gzipped(
    client, days, django_assert_num_queries, name, args
):
    url = reverse(name, args=args)
    plain = client.get(url)
    state = 1 if name.startswith("feed-daily") else 2  # a category's feeds look it up too
    with django_assert_num_queries(2 * state):  # only the state: bodies come from the cache
        again = client.get(url)
        gzipped = client.get(url, headers={"accept-encoding": "gzip, deflate"})
    assert again.content == plain.content and again["ETag"] == plain["ETag"]
    assert gzipped["Content-Encoding"] == "gzip" and gzipped["ETag"] == f"W/{plain['ETag']}"
    assert gzip.decompress(gzipped.content) == plain.content
    assert gzipped["Content-Type"] == plain["Content-Type"]
    revalidated = client.get(
        url, headers={"accept-encoding": "gzip", "if-none-match": gzipped["ETag"]}
    )
    assert revalidated.status_code == 304 and revalidated["ETag"] == gzipped["ETag"]


def test_renaming_a_category_changes_its_feeds_etag(client, days):
    url = reverse("feed-category-rss", args=["multimodal"])
    etag = client.get(url)["ETag"]
    Category.objects.filter(slug="multimodal").update(name_ko="멀티모달 AI")
    response = client.get(url, headers={"if-none-match": etag})
    assert response.status_code == 200 and "멀티모달 AI" in response.text


def test_pages_advertise_the_feeds(client, days):
    html = client.get(reverse("day", args=[REFERENCE_DAY])).text
    rss = 'type="application/rss+xml" title="Daily AI Insights (RSS)" href="/feeds/daily.rss"'
    atom = 'type="application/atom+xml" title="Daily AI Insights (Atom)" href="/feeds/daily.atom"'
    assert f'<link rel="alternate" {rss}>' in html and f'<link rel="alternate" {atom}>' in html
    assert 'href="/feeds/categories/computer-vision.rss"' in html


def test_summary_html_keeps_markdown_and_drops_anything_active():
    html = summary_html(
        "1. **주제:**\n   - 첫째\n   - 둘째\n\n<script>alert(1)</script>\n\n"
        '<img src=x onerror="alert(2)"> [링크](javascript:alert(3)) [논문](https://arxiv.org/abs/1)'
    )  # CommonMark: an HTML block runs to the blank line, so the links need their own paragraph
    assert "<ol>\n<li><strong>주제:</strong>\n<ul>\n<li>첫째</li>\n<li>둘째</li>" in html
    assert "<script" not in html and "onerror" not in html and "javascript:" not in html
    assert '<a href="https://arxiv.org/abs/1" rel="nofollow noopener">논문</a>' in html
