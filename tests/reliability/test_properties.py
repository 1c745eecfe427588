"""Properties of the parsers and the sanitising, over generated input (Hypothesis; issue 9).

Whatever arXiv, Hugging Face or a report file holds, our code either reads it faithfully or
refuses it with its own error, never another exception; whatever a summary holds, its HTML runs
nothing. The arXiv answers are rendered by the test transport (tests/fixtures/arxiv/server.py)
around the generated text, so the `arxiv` client and our session parse them for real.
Deadlines are off: these are not timings, and the machine is shared.
"""

import datetime
import json
import re
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from digest import export, importer, report_format, report_labels
from digest.models import DailyDigest
from papers.models import Category
from papers.sources import SourceError, http_backoff
from papers.sources.arxiv import Arxiv
from papers.sources.hf_daily import MAX_COUNT, parse_daily_papers
from reader import search
from reader.markdown import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, summary_html
from tests.fixtures.arxiv.server import Day, FakeArxiv, unwrap
from tests.reader.test_math import MATHML

DAY = datetime.date(2025, 5, 27)


def xml_legal(text: str) -> bool:
    """Whether XML 1.0 can carry `text` at all (its Char production)."""
    return all(
        c in "\t\n\r" or "\x20" <= c <= "\ud7ff" or "\ue000" <= c <= "\ufffd" or c >= "\U00010000"
        for c in text
    )


# Any text a source might send: every plane but surrogates (which UTF-8 cannot carry), with the
# characters that matter to XML, HTML and our whitespace handling made likely.
text = st.text(
    st.one_of(
        st.characters(exclude_categories=("Cs",)),
        st.sampled_from("<>&\"'\r\n\t \x00\x0b\x1f\x85\xa0\u2028\ufffe\uffff]]>$\\"),
    ),
    max_size=80,
)


def served_text(title: str, abstract: str, authors: list[str]) -> str:
    """The text the transport puts in its XML (it lays abstracts out as arXiv does)."""
    return title + unwrap(abstract) + "".join(authors)


def paper(arxiv_id: str, title: str, abstract: str, authors: list[str]) -> dict:
    return {
        "arxiv_id": arxiv_id,
        "title": title,
        "abstract": abstract,
        "authors": authors,
        "categories": ["cs.AI"],
        "primary_category": "cs.AI",
        "comment": "",
    }


def arxiv_serving(papers: list[dict]) -> Arxiv:
    """Our arXiv client over the test transport, serving `papers` as the day's cs.AI listing,
    without pauses or retries."""
    backoff = http_backoff(retries=0, sleep=lambda seconds: None)
    return Arxiv(
        ["cs.AI"],
        user_agent="tests",
        timeout=1,
        interval=0,
        backoff=backoff,
        adapter=FakeArxiv([Day(DAY, papers, ["cs.AI"])]),
    )


@settings(max_examples=60, deadline=None)
@given(title=text, abstract=text, authors=st.lists(text, min_size=1, max_size=3))
def test_the_api_parser_reads_any_text_back_or_refuses_it(title, abstract, authors):
    served = paper("2505.00001", title, abstract, authors)
    legal = xml_legal(served_text(title, abstract, authors))
    try:
        (records,) = list(arxiv_serving([served]).papers(["2505.00001"]))
    except SourceError as exc:
        assert not legal and "malformed XML" in str(exc), exc
        event("refused")
        return
    assert legal
    event("read back")
    (record,) = records
    # Whitespace is arXiv's layout, not content: the words come back, in order.
    assert record.title.split() == title.split()
    assert record.abstract.split() == abstract.split()
    assert [a.split() for a in record.authors] == [a.split() for a in authors]
    assert (record.arxiv_id, record.version) == ("2505.00001", 1)


@settings(max_examples=40, deadline=None)
@given(title=text, abstract=text, authors=st.lists(text, max_size=3))
def test_the_listing_parser_reads_any_listing_or_refuses_it(title, abstract, authors):
    served = paper("2505.00002", title, abstract, authors)
    try:
        listing = arxiv_serving([served]).listing(DAY)
    except SourceError as exc:
        assert not xml_legal(served_text(title, abstract, authors)), exc
        event("refused")
        return
    event("read")
    assert [(a.key, a.version, a.kind) for a in listing.announcements] == [("2505.00002", 1, "new")]


# Hugging Face Daily Papers ----------------------------------------------------------------------

hf_entry = st.fixed_dictionaries(
    {
        "paper": st.fixed_dictionaries(
            {
                "id": st.from_regex(r"\A\d{4}\.\d{5}\Z"),
                "title": text,
                "upvotes": st.integers(0, MAX_COUNT),
            },
            optional={
                "githubRepo": st.sampled_from(["", "https://github.com/a/b", "http://x.org/y"]),
                "githubStars": st.integers(0, MAX_COUNT),
            },
        ),
        "numComments": st.integers(0, MAX_COUNT),
    }
)


@settings(max_examples=60, deadline=None)
@given(st.lists(hf_entry, max_size=5))
def test_hugging_face_entries_read_back(entries):
    papers = parse_daily_papers(json.dumps(entries).encode())
    assert [
        (p.arxiv_id, p.title, p.upvotes, p.comments, p.github_repo, p.github_stars) for p in papers
    ] == [
        (
            e["paper"]["id"],
            " ".join(e["paper"]["title"].split()),
            e["paper"]["upvotes"],
            e["numComments"],
            e["paper"].get("githubRepo", ""),
            e["paper"].get("githubStars"),
        )
        for e in entries
    ]


KEYS = ["paper", "id", "title", "upvotes", "numComments", "githubRepo", "githubStars"]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | text,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | text, children, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def damaged_answers(draw) -> bytes:
    """Well-formed entries with one field of one entry replaced by any JSON value."""
    entries = draw(st.lists(hf_entry, min_size=1, max_size=3))
    entry = draw(st.sampled_from(entries))
    where = draw(st.sampled_from([entry, entry["paper"]]))
    where[draw(st.sampled_from(KEYS))] = draw(json_values)
    return json.dumps(entries).encode()


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        damaged_answers(), json_values.map(json.dumps).map(str.encode), st.binary(max_size=200)
    )
)
def test_any_hugging_face_answer_is_read_or_refused_with_our_error(raw):
    try:
        papers = parse_daily_papers(raw)
    except SourceError as exc:
        assert str(exc).startswith("Hugging Face response: ")
        event("refused")
        return
    event(f"read {min(len(papers), 2)}+ papers")
    for p in papers:  # what is accepted fits the columns it is stored in
        assert re.fullmatch(r"\d{4}\.\d{4,5}", p.arxiv_id)
        assert 0 <= p.upvotes <= MAX_COUNT and 0 <= p.comments <= MAX_COUNT
        assert p.github_repo == "" or p.github_repo.startswith(("http://", "https://"))
        assert len(p.github_repo) <= 500 and "\x00" not in p.github_repo


# The reference report format ---------------------------------------------------------------------


line = st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\n\x00"), min_size=1, max_size=40
)


@st.composite
def reports(draw, categories):
    """A report in the reference format: distinct categories, each with a summary and papers."""
    chosen = draw(
        st.lists(st.sampled_from(categories), min_size=1, max_size=3, unique_by=lambda c: c.name)
    )
    numbers = iter(draw(st.lists(st.integers(10000, 99999), min_size=12, max_size=12, unique=True)))
    sections = []
    for category in chosen:
        plain = line.filter(lambda s: s not in (report_format.SUMMARY, report_format.SOURCES))
        body = draw(st.lists(plain, min_size=1).map("\n".join).filter(str.strip))
        sources = []
        for _ in range(draw(st.integers(1, 4))):
            title = draw(line.filter(lambda s: not s[0].isspace()))
            url = draw(
                st.sampled_from(
                    ["http://arxiv.org/abs/2411.{}v{}", "https://deeplearn.org/arxiv/{}/p{}"]
                )
            )
            sources.append(f" - {title} ({url.format(next(numbers), draw(st.integers(1, 3)))})\n")
        sections.append(
            export.SECTION.format(
                emoji=category.emoji,
                name=category.name,
                body=body,
                sources="".join(sources),
            )
        )
    day = draw(st.dates(datetime.date(2020, 1, 1), datetime.date(2026, 12, 31)))
    return day, export.TITLE.format(image=export.image_name(day)) + "".join(sections)


@st.composite
def damaged(draw, texts) -> str:
    """A text with one of its lines dropped, repeated or replaced by any text (or kept)."""
    lines = draw(texts).split("\n")
    at = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["drop", "repeat", "replace", "keep"]))
    if how != "keep":
        replacement = {"drop": [], "repeat": [lines[at]] * 2}.get(how) or [draw(text)]
        lines[at : at + 1] = replacement
    return "\n".join(lines)


STAND_INS = [SimpleNamespace(emoji="🤖", name="LLM"), SimpleNamespace(emoji="👁️", name="CV")]


@settings(max_examples=200, deadline=None)
@given(st.one_of(damaged(reports(STAND_INS).map(lambda r: r[1])), text.map(lambda t: "\x00" + t)))
def test_any_report_text_is_parsed_or_refused_naming_its_line(report):
    try:
        parsed = report_format.parse_report(report, "r.md")
    except report_format.ReportError as exc:
        assert re.match(r"r\.md line \d+: ", str(exc))
        event("refused")
        return
    event("parsed")
    assert "\x00" not in report  # PostgreSQL could not store it
    for section in parsed.sections:
        assert section.body.strip() and section.sources


@pytest.mark.django_db
def test_a_report_imported_then_exported_gives_back_its_bytes():
    categories = list(Category.objects.all())
    assert django_settings.DIGEST_LANGUAGE == importer.LANGUAGE

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(reports(categories))
    def round_trip(generated):
        day, text = generated
        with transaction.atomic():  # each example on a clean slate
            report = report_format.parse_report(text, export.report_name(day))
            importer.import_report(report, report_labels.CategoryMap())
            assert export.report_markdown(DailyDigest.objects.get(date=day)) == text
            transaction.set_rollback(True)

    round_trip()


# Sanitising -------------------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//x.example/x.js></SCRIPT>",
    '<img src=x onerror="alert(1)">',
    "<svg/onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java\tscript:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href=" javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](  javascript:alert(1) )",
    "![x](javascript:alert(1))",
    "<iframe src=https://x.example></iframe>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<a href="https://arxiv.org/abs/1" onclick="alert(1)">x</a>',
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    "<!--<script>-->",
    "<<script>script>alert(1)<</script>/script>",
    "**굵게** `code` - item\n\n1. one\n   - nested",
    "$x<y$",
    "\n\n",
]


class Tags(HTMLParser):
    """Every element and attribute of an HTML text, as a browser would see them."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: list[tuple[str, dict]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def scheme(url: str) -> str:
    """The scheme a browser reads from `url` (the URL standard drops tabs and newlines, and
    leading controls and spaces)."""
    cleaned = re.sub(r"[\t\n\r]", "", url).lstrip("".join(map(chr, range(0x21))))
    match = re.match(r"([a-zA-Z][a-zA-Z0-9+.\-]*):", cleaned)
    return match.group(1).lower() if match else ""


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(HOSTILE) | text, max_size=6).map("".join))
def test_summary_html_never_carries_anything_active(markdown):
    for tag, attributes in Tags(str(summary_html(markdown))).elements:
        assert tag in ALLOWED_TAGS
        assert set(attributes) <= ALLOWED_ATTRIBUTES.get(tag, set()) | {"rel"}
        if "href" in attributes:
            assert scheme(attributes["href"]) in {"", "http", "https", "mailto"}


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.sampled_from(HOSTILE) | text, max_size=6).map("".join),
    st.lists(st.sampled_from(["script", "alert", "x", "<", "$"]) | text, min_size=1, max_size=2),
)
def test_search_snippets_only_mark_words_and_render_formulas(abstract, terms):
    for tag, attributes in Tags(search.snippet(abstract, terms)).elements:
        assert tag in MATHML
        assert not any(name.startswith("on") or "href" in name for name in attributes)
