"""Search over papers' titles and abstracts and over the category summaries.

On PostgreSQL this is full-text search on stored vector columns with GIN indexes
(papers/migrations/0005_search_index.py, summaries/migrations/0004_search_vector.py); they are
not model fields, so the queries name them directly (tests/reader/test_search.py checks the plans).
Papers are English: stemmed, with web-search syntax ("a phrase", OR, -word). Summaries are
mostly Korean, which PostgreSQL cannot stem, so every word is matched as a prefix: 강화학습
finds 강화학습은 and 강화학습을.

Results are newest first. Ranking by relevance would compute ts_rank for every match, and a
common word matches most of the table; for the same reason only the first MAX_COUNTED matches
are counted.

SQLite (the demo) has no full-text search here: every word must occur in the title or abstract.
"""

import re
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import F, Q
from django.db.models.expressions import RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from digest.models import DailyDigest
from papers.models import Paper
from reader import mathml
from reader.pages import preferring
from summaries.models import CategorySummary

PAPER_VECTOR = RawSQL('"papers_paper"."search_vector"', [], output_field=SearchVectorField())
SUMMARY_VECTOR = RawSQL(
    '"summaries_categorysummary"."search_vector"', [], output_field=SearchVectorField()
)
PAGE_SIZE = 20
MAX_COUNTED = 1000
SUMMARY_RESULTS = 5
MAX_QUERY = 200
MAX_WORDS = 10
SNIPPET = 260  # characters of abstract or summary shown around the first match
_WORD = re.compile(r"\w+")
_MARKDOWN = re.compile(r"\*\*|^\s*(?:\d+\.|-)\s+", re.MULTILINE)  # bold, list markers


def words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_WORDS]


def full_text() -> bool:
    """PostgreSQL has full-text search; the SQLite demo falls back to LIKE."""
    return connection.vendor == "postgresql"


def papers(query: str):
    """Published papers matching `query`, newest first (most upvoted first within a day).

    "Published" is read as "announced on a published day": a hashed list of ~250 dates a year,
    where checking each paper's digests costs two index probes per match, which is most of the
    time of a search for a common phrase. (A paper re-listed on a later day while its first day
    is unpublished is found once that first day is published.)
    """
    published_days = DailyDigest.objects.published().values("date")
    found = Paper.objects.filter(announced_on__in=published_days)
    if full_text():
        found = found.annotate(search=PAPER_VECTOR).filter(
            search=SearchQuery(query, config="english", search_type="websearch")
        )
    else:
        for word in words(query):
            found = found.filter(Q(title__icontains=word) | Q(abstract__icontains=word))
    return found.order_by("-announced_on", F("upvotes").desc(nulls_last=True), "-pk")


def summaries(query: str):
    """Summaries of published days whose text has every word of `query`, newest first."""
    found = CategorySummary.objects.filter(digest__published_at__isnull=False)
    terms = words(query)
    if full_text():
        prefixes = " & ".join(f"{term}:*" for term in terms)
        found = found.annotate(search=SUMMARY_VECTOR).filter(
            search=SearchQuery(prefixes, config="simple", search_type="raw")
        )
    else:
        for term in terms:
            found = found.filter(body__icontains=term)
    return found.order_by("-digest__date", "category__order")


class CappedPaginator(Paginator):
    """Counts no further than MAX_COUNTED: an exact count of a common word reads the table."""

    @cached_property
    def matches(self) -> int:
        return self.object_list.order_by().values("pk")[: MAX_COUNTED + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.matches, MAX_COUNTED)

    @property
    def capped(self) -> bool:
        return self.matches > MAX_COUNTED


def search_page(query: str, page: str | None, language: str) -> dict:
    """Context for the search page. Queries: the capped count, one page of papers with their
    categories, and (on the first page) the matching summaries."""
    query = " ".join(query.replace("\x00", " ").split())[:MAX_QUERY]  # PostgreSQL refuses NUL
    context = {"query": query, "terms": words(query), "page": None, "summaries": []}
    if not context["terms"]:
        return context
    paginator = CappedPaginator(papers(query).select_related("category"), PAGE_SIZE)
    context["paginator"] = paginator
    context["page"] = paginator.get_page(page)
    for paper in context["page"]:
        paper.snippet = snippet(paper.abstract, context["terms"])
    if context["page"].number == 1:
        found = summaries(query).select_related("digest", "category")
        found = found.filter(language__in={language, settings.DIGEST_LANGUAGE})
        chosen = preferring(found[: 2 * SUMMARY_RESULTS], language)
        context["summaries"] = list(chosen.values())[:SUMMARY_RESULTS]
        for summary in context["summaries"]:
            summary.snippet = snippet(_MARKDOWN.sub("", summary.body), context["terms"])
    return context


def snippet(text: str, terms: list[str], width: int = SNIPPET) -> str:
    """An excerpt of `text` around the first match, matches marked, formulas rendered."""
    lower = text.lower()
    hits = [i for i in (lower.find(term.lower()) for term in terms) if i >= 0]
    start = max(0, min(hits) - width // 3) if hits else 0
    end = min(len(text), start + width)
    for left, right in mathml.spans(text):  # never cut a formula in half
        if left < start < right:
            start = left
        if left < end < right:
            end = right
    if start > 0 and (space := text.rfind(" ", 0, start)) > start - 20:
        start = space + 1
    pattern = re.compile(
        r"\b(?:" + "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)) + ")",
        re.IGNORECASE,
    )

    def highlight(segment: str) -> str:
        parts, last = [], 0
        for match in pattern.finditer(segment):
            parts.append(escape(segment[last : match.start()]))
            parts.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
        return "".join([*parts, escape(segment[last:])])

    excerpt = mathml.render(text[start:end], plain=highlight if terms else escape)
    return mark_safe(("…" if start > 0 else "") + excerpt + ("…" if end < len(text) else ""))
