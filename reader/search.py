"""Search over papers' titles and abstracts and over the category summaries.

One module, though long: the queries, their ranking and the snippets they are shown with answer
one request together (PostgreSQL and SQLite alike), and read best side by side.

On PostgreSQL this is full-text search on stored, weighted vector columns with GIN indexes
(reader/migrations/0001_weighted_search_vectors.py): a paper's title words weigh A, its
abstract's B, a summary's text C. They are not model fields, so the queries name them directly
(tests/reader/test_search.py checks the plans). Papers are English: stemmed, with web-search
syntax ("a phrase", OR, -word). Summaries are mostly Korean, which PostgreSQL cannot stem, so
every word is matched as a prefix: 강화학습 finds 강화학습은 and 강화학습을.

Two orders: by relevance (관련도순, the default) and newest first (최신순). Relevance is
ts_rank_cd over the weighted vector, by cover density (query words close together count more)
with a title hit worth 2.5 abstract hits, plus a small recency term, so that at equal relevance
the newer paper wins. Ranking computes a score for every candidate, and a common word matches a
good part of the table, so at most RANKED candidates are ranked, the newest matches
(candidates()). A reader's words for a paper they remember match few papers, and all of those
are ranked (bench/search_quality.py); a topic word like "diffusion" is ranked over its matches
of the last weeks. The page fetches the ids of the newest MAX_COUNTED + 1 matches once, then
ranks or orders them, pages through them and counts them (results()): counting the matches
apart read the search index, and often the table, a second time.

Filters (a category and a date range: ?category=<slug>&from=YYYY-MM-DD&to=YYYY-MM-DD) apply to
papers and summaries alike; links, pages and the search feed keep them.

SQLite (the demo) has no full-text search here: every word must occur in the title or abstract,
and relevance is a simpler score: 3 for each word in the title, 1 for each in the abstract, then
newest first.
"""

import datetime
import itertools
import re
from dataclasses import dataclass
from functools import cached_property

from django.conf import settings
from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    Case,
    F,
    FloatField,
    IntegerField,
    Q,
    Value,
    When,
)
from django.db.models.expressions import Expression, RawSQL
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import mathml, pagecache
from reader.pages import paper_briefs, preferring
from summaries.models import CategorySummary, PaperBrief


class StoredVector(Expression):
    """The table's `search_vector` column, under whatever alias the query gives the table (a
    subquery renames it)."""

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return f'{alias}."search_vector"', []


PAPER_VECTOR = SUMMARY_VECTOR = StoredVector()
RELEVANCE, NEWEST = "relevance", "newest"
SORTS = (RELEVANCE, NEWEST)
WEIGHTS = [0.1, 0.16, 0.4, 1.0]  # D, C (summaries' text), B (abstract), A (title)
NORMALIZATION = 1  # rank / (1 + log(words)): a long abstract is not a better match per se
RECENCY = 0.05  # at most this is added for today's papers, half of it a year back
RANKED = 200  # matches ranked by relevance, the most recent first (candidates())
WINDOWS = (30, 120, 365)  # days before the newest published day: where candidates are sought
RANKED_SUMMARIES = 200
PAGE_SIZE = 20
MAX_COUNTED = RANKED  # what the page ranks (or orders newest first), pages through and counts
SUMMARY_RESULTS = 5
MAX_QUERY = 200
MAX_WORDS = 10
SNIPPET = 260  # characters of abstract or summary shown around the first match
MARK, UNMARK = "\ue000", "\ue001"  # private-use characters ts_headline puts around matches
_WORD = re.compile(r"\w+")
_MARKED = re.compile(f"{MARK}([^{UNMARK}]+){UNMARK}")
_MARKDOWN = re.compile(r"\*\*|^\s*(?:\d+\.|-)\s+", re.MULTILINE)  # bold, list markers
_SLUG = re.compile(r"[-a-zA-Z0-9_]{1,50}")


def words(query: str) -> list[str]:
    return _WORD.findall(query)[:MAX_WORDS]


def full_text() -> bool:
    """PostgreSQL has full-text search; the SQLite demo falls back to LIKE."""
    return connection.vendor == "postgresql"


def clean(query: str) -> str:
    return " ".join(query.replace("\x00", " ").split())[:MAX_QUERY]  # PostgreSQL refuses NUL


@dataclass(frozen=True)
class Filters:
    """A category (its slug) and a date range, both optional; unreadable values are ignored."""

    category: str = ""
    since: datetime.date | None = None
    until: datetime.date | None = None

    @classmethod
    def from_params(cls, params) -> "Filters":
        category = params.get("category", "")
        since, until = _date(params.get("from")), _date(params.get("to"))
        if since and until and since > until:
            since, until = until, since
        return cls(category if _SLUG.fullmatch(category) else "", since, until)

    def params(self) -> dict[str, str]:
        """As query parameters, for links that keep them."""
        values = {"category": self.category, "from": self.since, "to": self.until}
        return {k: v.isoformat() if k != "category" else v for k, v in values.items() if v}

    def __bool__(self) -> bool:
        return bool(self.category or self.since or self.until)

    def papers(self, found):
        if self.category:
            found = found.filter(category__slug=self.category)
        if self.since:
            found = found.filter(announced_on__gte=self.since)
        if self.until:
            found = found.filter(announced_on__lte=self.until)
        return found

    def summaries(self, found):
        if self.category:
            found = found.filter(category__slug=self.category)
        if self.since:
            found = found.filter(digest__date__gte=self.since)
        if self.until:
            found = found.filter(digest__date__lte=self.until)
        return found


NO_FILTERS = Filters()


def _date(value: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _paper_query(query: str) -> SearchQuery:
    return SearchQuery(query, config="english", search_type="websearch")


def matching(query: str, filters: Filters = NO_FILTERS):
    """Published papers matching `query` within `filters`, unordered.

    "Published" is read as "announced on a published day": a hashed list of ~250 dates a year,
    where checking each paper's digests costs two index probes per match, which is most of the
    time of a search for a common phrase. (A paper re-listed on a later day while its first day
    is unpublished is found once that first day is published.)
    """
    published_days = DailyDigest.objects.published().values("date")
    found = filters.papers(Paper.objects.filter(announced_on__in=published_days))
    if full_text():
        return found.annotate(search=PAPER_VECTOR).filter(search=_paper_query(query))
    for word in words(query):
        found = found.filter(Q(title__icontains=word) | Q(abstract__icontains=word))
    return found


def newest(found):
    return found.order_by("-announced_on", F("upvotes").desc(nulls_last=True), "-pk")


def papers(query: str, sort: str = RELEVANCE, filters: Filters = NO_FILTERS, today=None):
    """Published papers matching `query`, by relevance or newest first (module docstring)."""
    found = matching(query, filters)
    if sort == NEWEST:
        return newest(found)
    if not full_text():
        score = Value(0, output_field=IntegerField())
        for word in words(query):
            score += Case(When(title__icontains=word, then=3), default=0) + Case(
                When(abstract__icontains=word, then=1), default=0
            )
        return found.annotate(relevance=score).order_by(
            "-relevance", "-announced_on", F("upvotes").desc(nulls_last=True), "-pk"
        )
    return ranked(query, candidates(found, RANKED), today)


def ranked(query: str, among, today=None):
    """The papers `among` (ids, or a query of them) by relevance: ts_rank_cd plus recency."""
    today = today or timezone.localdate()
    tsquery = _paper_query(query)
    rank = SearchRank(
        PAPER_VECTOR, tsquery, weights=WEIGHTS, normalization=NORMALIZATION, cover_density=True
    )
    age = RawSQL('(%s::date - "papers_paper"."announced_on")::float8', [today], FloatField())
    recency = Value(RECENCY) / (Value(1.0) + age / Value(365.0))
    return (
        Paper.objects.filter(pk__in=among)
        .annotate(relevance=rank + recency)
        .order_by("-relevance", "-announced_on", "-pk")
    )


def candidates(found, limit: int):
    """The ids of the `limit` newest of the `found` papers (newest()), in one query: those of
    the last WINDOWS[0] days before the newest published day, then of the WINDOWS[1] days
    before those, and so on; PostgreSQL stops running windows once it has `limit` ids. A
    window's newest matches are found by its own plan: a common word's by walking the date
    index back, testing each paper, a rarer one's from the search index ANDed with the date
    index's, then sorted; either way a common word reads a window's matches, not all of them.
    The windows' dates are constants: of a range between two dates it cannot see, the planner
    guesses 0.5% of the table, and then walks a window's every paper."""
    last = newest_day() or timezone.localdate()

    def days_before(days: int) -> datetime.date:
        return last - datetime.timedelta(days=days)

    found = found.order_by()
    bounds = [None, *WINDOWS, None]
    windows = []
    for later, earlier in itertools.pairwise(bounds):
        window = found
        if later is not None:
            window = window.filter(announced_on__lt=days_before(later))
        if earlier is not None:
            window = window.filter(announced_on__gte=days_before(earlier))
        windows.append(newest(window).values("pk")[:limit])
    return windows[0].union(*windows[1:], all=True)[:limit]


def newest_day() -> datetime.date | None:
    """The newest published day, cached until anything changes (reader/pagecache.py): a query
    on the first search after a publication."""
    published = DailyDigest.objects.published().order_by("-date")
    return pagecache.cached(
        "search:newest-day", lambda: published.values_list("date", flat=True).first()
    )


def summaries(query: str, sort: str = RELEVANCE, filters: Filters = NO_FILTERS, today=None):
    """Summaries of published days whose text has every word of `query`."""
    found = filters.summaries(CategorySummary.objects.filter(digest__published_at__isnull=False))
    terms = words(query)
    if not full_text():
        for term in terms:
            found = found.filter(body__icontains=term)
        return found.order_by("-digest__date", "category__order")
    prefixes = SearchQuery(" & ".join(f"{term}:*" for term in terms), config="simple",
                           search_type="raw")  # fmt: skip
    found = found.annotate(search=SUMMARY_VECTOR).filter(search=prefixes)
    found = found.order_by("-digest__date", "category__order")
    # Both orders choose among the newest RANKED_SUMMARIES matches, found from the search index:
    # asked for the newest few directly, the planner walks the days back testing every summary.
    recent = found.values("pk")[:RANKED_SUMMARIES]
    if sort == NEWEST:
        return CategorySummary.objects.filter(pk__in=recent).order_by(
            "-digest__date", "category__order"
        )
    today = today or timezone.localdate()
    rank = SearchRank(SUMMARY_VECTOR, prefixes, weights=WEIGHTS, normalization=NORMALIZATION,
                      cover_density=True)  # fmt: skip
    age = RawSQL('(%s::date - "digest_dailydigest"."date")::float8', [today], FloatField())
    recency = Value(RECENCY) / (Value(1.0) + age / Value(365.0))
    return (
        CategorySummary.objects.filter(pk__in=recent)
        .annotate(relevance=rank + recency)
        .order_by("-relevance", "-digest__date", "category__order")
    )


class CappedPaginator(Paginator):
    """Counts no further than MAX_COUNTED: an exact count of a common word reads the table.
    `matches` counts up to MAX_COUNTED + 1 (a number, or a query of the matches)."""

    def __init__(self, object_list, per_page, matches):
        super().__init__(object_list, per_page)
        self.matching = matches

    @cached_property
    def matches(self) -> int:
        if isinstance(self.matching, int):
            return self.matching
        return self.matching.order_by().values("pk")[: MAX_COUNTED + 1].count()

    @cached_property
    def count(self) -> int:
        return min(self.matches, MAX_COUNTED)

    @property
    def capped(self) -> bool:
        return self.matches > MAX_COUNTED


def results(query: str, sort: str, filters: Filters):
    """The papers to page through, and their matches for CappedPaginator. On PostgreSQL, the
    ids of the newest MAX_COUNTED + 1 matches, in one query, ranked or newest first: what is
    paged through and counted. Otherwise every match, and the query that counts them."""
    if not full_text():
        return papers(query, sort, filters), matching(query, filters)
    ids = [row["pk"] for row in candidates(matching(query, filters), MAX_COUNTED + 1)]
    if sort == NEWEST:
        return newest(Paper.objects.filter(pk__in=ids)), len(ids)
    return ranked(query, ids), len(ids)


def search_page(query: str, page: str | None, language: str, params=None) -> dict:
    """Context for the search page. Queries: the categories (for the filter), the capped count,
    one page of papers with their categories, their TL;DRs, and (on the first page) the matching
    summaries."""
    params = params or {}
    query = clean(query)
    sort = params.get("sort") if params.get("sort") in SORTS else RELEVANCE
    filters = Filters.from_params(params)
    context = {
        "query": query,
        "terms": words(query),
        "sort": sort,
        "filters": filters,
        "categories": list(Category.objects.active()),
        "page": None,
        "summaries": [],
    }
    context["links"] = links(query, sort, filters)
    if not context["terms"]:
        return context
    found, matches = results(query, sort, filters)
    found = found.select_related("category")
    if full_text():  # the abstract with its matches marked, for the snippet
        found = found.annotate(
            marked=SearchHeadline(
                "abstract", _paper_query(query), config="english", start_sel=MARK,
                stop_sel=UNMARK, highlight_all=True,
            )
        )  # fmt: skip
    paginator = CappedPaginator(found, PAGE_SIZE, matches)
    context["paginator"] = paginator
    context["page"] = paginator.get_page(page)
    for paper in context["page"]:
        marked = getattr(paper, "marked", None)
        terms = sorted(set(_MARKED.findall(marked))) if marked else context["terms"]
        paper.snippet = snippet(paper.abstract, terms, whole=marked is not None)
    # The page's TL;DRs, in the reader's language when stored (one query, when there are any).
    shown = [paper.pk for paper in context["page"]]
    briefs = PaperBrief.objects.filter(paper__in=shown)
    context["briefs"] = paper_briefs(briefs, language) if shown else {}
    if context["page"].number == 1:
        found = summaries(query, sort, filters).select_related("digest", "category")
        found = found.filter(language__in={language, settings.DIGEST_LANGUAGE})
        chosen = preferring(found[: 2 * SUMMARY_RESULTS], language)
        context["summaries"] = list(chosen.values())[:SUMMARY_RESULTS]
        for summary in context["summaries"]:
            summary.snippet = snippet(_MARKDOWN.sub("", summary.body), context["terms"])
    return context


def links(query: str, sort: str, filters: Filters) -> dict[str, str]:
    """Query strings (without "?") that keep the query, the sort and the filters: for each
    sort, for pages (append the page number) and for the search feed."""
    from urllib.parse import urlencode

    base = {"q": query} | filters.params()
    return {
        RELEVANCE: urlencode(base),  # relevance is the default: no sort parameter
        NEWEST: urlencode(base | {"sort": NEWEST}),
        "page": urlencode(base | ({"sort": sort} if sort != RELEVANCE else {}) | {"page": ""}),
        "feed": urlencode(base),
    }


def snippet(text: str, terms: list[str], width: int = SNIPPET, whole: bool = False) -> str:
    """An excerpt of `text` around the first match, matches marked, formulas rendered.

    `terms` are matched as word prefixes, or as whole words with `whole` (the words
    ts_headline marked: "segmenting" finds "segmentation" by its stem, and only what matched
    is marked). Everything but the <mark> tags is escaped."""
    if not terms:
        pattern = None
        start = 0
    else:
        ending = r"\b" if whole else ""
        alternatives = "|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True))
        pattern = re.compile(rf"\b(?:{alternatives}){ending}", re.IGNORECASE)
        first = pattern.search(text)
        start = max(0, first.start() - width // 3) if first else 0
    end = min(len(text), start + width)
    for left, right in mathml.spans(text):  # never cut a formula in half
        if left < start < right:
            start = left
        if left < end < right:
            end = right
    if start > 0 and (space := text.rfind(" ", 0, start)) > start - 20:
        start = space + 1

    def highlight(segment: str) -> str:
        parts, last = [], 0
        for match in pattern.finditer(segment):
            parts.append(escape(segment[last : match.start()]))
            parts.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
        return "".join([*parts, escape(segment[last:])])

    excerpt = mathml.render(text[start:end], plain=highlight if pattern else escape)
    return mark_safe(("…" if start > 0 else "") + excerpt + ("…" if end < len(text) else ""))
