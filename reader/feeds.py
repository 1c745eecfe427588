"""RSS 2.0 and Atom feeds for subscribers: the daily digest, each category's daily summary, and
each category's new papers.

Every feed answers a conditional GET from one aggregate query over exactly what its items show
(`*_state`), before building anything; the feed itself costs a fixed number of queries, and is
built once per version (its ETag) and kept gzipped in the page cache (`reader.pagecache`).
GUIDs never depend on the host name: `urn:daily-ai-insights:…` for days and summaries, arXiv's
own `oai:arXiv.org:<id>` for papers (a paper without one is identified by its URL, a permalink).
"""

import hashlib
import re
from functools import wraps

import markdown
import nh3
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Count, Max, Min, OuterRef, Prefetch, Q, Subquery
from django.urls import reverse
from django.utils import translation
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.http import http_date, quote_etag
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from digest.export import summary_sources
from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import pagecache
from summaries.models import CategorySummary

SITE = "Daily AI Insights"
URN = "urn:daily-ai-insights"
DAYS = 10  # items of the daily feed: each carries a whole day
SUMMARIES = 30  # items of a category's summary feed
PAPERS = 50  # items of a category's paper feed

ALLOWED_TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h3", "h4", "h5", "h6", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
# CommonMark nests a list under an item indented by 2-3 spaces; Python-Markdown wants 4.
_SHALLOW_ITEM = re.compile(r"^ {1,3}(?=(?:[-*+]|\d+[.)]) )", re.M)


def summary_html(text: str) -> SafeString:
    """A summary's Markdown as HTML that is safe to embed: only an allow-list of tags survives."""
    html = markdown.markdown(_SHALLOW_ITEM.sub("    ", text))
    return mark_safe(  # sanitised by nh3 below
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener",
        )
    )


def conditional(state):
    """Wrap a feed so that `state(**kwargs) -> (last_modified, etag)` answers 304s first.

    The headers come from the same state, so a client's next request compares like with like.
    A state of None means there is no such feed: the feed itself answers (with a 404).
    """

    def decorator(feed):
        @wraps(feed)
        def view(request, **kwargs):
            current = state(**kwargs)
            if current is None:
                return feed(request, **kwargs)
            last_modified, etag = current
            timestamp = last_modified and last_modified.timestamp()
            headers = {"etag": etag.strip('"'), "last_modified": timestamp and http_date(timestamp)}
            response = get_conditional_response(request, etag=etag, last_modified=timestamp)
            if response is not None:  # 304: the validators of the representation they hold
                gzipped = pagecache.ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", ""))
                response["ETag"] = f"W/{etag}" if gzipped else etag
                if timestamp:
                    response["Last-Modified"] = headers["last_modified"]
                return response

            def render():
                with translation.override(settings.DIGEST_LANGUAGE):  # whatever the reader's
                    built = feed(request, **kwargs)
                return {"type": built["Content-Type"], **pagecache.page(built.content, **headers)}

            # Keyed by the ETag too: a write that bypasses the page cache's signals (a queryset
            # update) still changes the state, so it can never be answered from the cache.
            page = pagecache.cached(f"feed:{request.get_host()}:{request.path}:{etag}", render)
            return pagecache.response(request, page, content_type=page["type"])

        return view

    return decorator


def _state(values: dict) -> tuple:
    """(latest change, strong ETag) from an aggregate; every value feeds the ETag."""
    stamps = [v for k, v in values.items() if k.startswith("changed") and v is not None]
    etag = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]
    return (max(stamps) if stamps else None), quote_etag(etag)


def _latest(*stamps):
    return max(s for s in stamps if s is not None)


class BaseFeed(Feed):
    feed_type = Rss201rev2Feed
    author_name = SITE

    @property
    def language(self):
        return settings.DIGEST_LANGUAGE


# The daily digest ---------------------------------------------------------------------------


def _days():
    """Days with papers: a day arXiv announced nothing is a notice on the site, not an item."""
    return DailyDigest.objects.published().with_announcement().order_by("-date")[:DAYS]


def _in_language(summaries):
    return summaries.filter(language=settings.DIGEST_LANGUAGE)


def daily_state() -> tuple:
    """What the daily feed shows: its days, their summaries and the papers these list."""
    shown = Q(summaries__language=settings.DIGEST_LANGUAGE)
    values = DailyDigest.objects.filter(pk__in=_days().values("pk")).aggregate(
        changed=Max("updated_at"),
        changed_published=Max("published_at"),
        changed_summary=Max("summaries__updated_at", filter=shown),
        changed_paper=Max("summaries__papers__updated_at", filter=shown),
        days=Count("pk", distinct=True),
        newest=Max("date"),
        oldest=Min("date"),
    )
    return _state(values)


class DailyFeed(BaseFeed):
    """One item per published day: the chart, then every category's summary and sources."""

    title = SITE
    description_template = "feeds/day.html"

    def description(self):
        return _("A daily digest of new AI papers on arXiv, by category.")

    def feed_guid(self):
        return f"{URN}:feed:daily"

    def link(self):
        return reverse("latest")

    def items(self):
        summaries = _in_language(CategorySummary.objects.select_related("category"))
        return _days().prefetch_related(
            Prefetch("summaries", queryset=summaries.prefetch_related("papers"))
        )

    def item_title(self, digest):
        count = sum(s["count"] for s in digest.chart)
        return _("AI papers of %(day)s") % {"day": digest.date.isoformat()} + f" · {count}"

    def item_link(self, digest):
        return reverse("day", args=[digest.date])

    def item_guid(self, digest):
        return f"{URN}:day:{digest.date.isoformat()}"

    def item_guid_is_permalink(self, digest):
        return False

    def item_pubdate(self, digest):
        return digest.published_at

    def item_updateddate(self, digest):
        summaries = digest.summaries.all()
        return _latest(
            digest.published_at,
            digest.updated_at,
            *(s.updated_at for s in summaries),
            *(p.updated_at for s in summaries for p in s.papers.all()),
        )

    def get_context_data(self, **kwargs):
        digest, request = kwargs["item"], kwargs["request"]
        summaries = {s.category.slug: s for s in digest.summaries.all()}
        sections = [
            _section(summaries[s["slug"]], f"{s['emoji']} {s['name_ko']}", s["count"])
            for s in digest.chart
            if s["slug"] in summaries
        ]
        chart = request.build_absolute_uri(reverse("day-chart", args=[digest.date]))
        return {"digest": digest, "chart_url": chart, "sections": sections}


def _section(summary, heading: str, count: int) -> dict:
    return {
        "heading": heading,
        "count": count,
        "html": summary_html(summary.body),
        "sources": summary_sources(summary),
        "anchor": summary.category.slug,
    }


# A category's daily summaries ---------------------------------------------------------------


def _category_summaries(slug: str):
    return (
        _in_language(CategorySummary.objects.filter(category__slug=slug))
        .filter(digest__published_at__isnull=False)
        .select_related("digest", "category")
        .order_by("-digest__date")[:SUMMARIES]
    )


def category_state(slug: str) -> tuple:
    values = CategorySummary.objects.filter(
        pk__in=_category_summaries(slug).values("pk")
    ).aggregate(
        changed=Max("updated_at"),
        changed_published=Max("digest__published_at"),
        changed_paper=Max("papers__updated_at"),
        summaries=Count("pk", distinct=True),
        newest=Max("digest__date"),
        oldest=Min("digest__date"),
    )
    category = _category_fields(slug)
    return category and _state({**values, "category": category})


def _category_fields(slug: str):
    """What the category's feeds show of the category itself (an editor may change it)."""
    fields = ("name", "name_ko", "emoji", "description")
    return Category.objects.filter(slug=slug).values_list(*fields).first()


class CategoryFeed(BaseFeed):
    """One item per published day that has a summary of the category."""

    description_template = "feeds/summary.html"

    def get_object(self, request, slug):
        return Category.objects.get(slug=slug)

    def title(self, category):
        return f"{SITE} · {category.emoji} {category.display_name(settings.DIGEST_LANGUAGE)}"

    def description(self, category):
        return category.description

    def feed_guid(self, category):
        return f"{URN}:feed:category:{category.slug}"

    def link(self, category):
        return reverse("latest")

    def items(self, category):
        return _category_summaries(category.slug).prefetch_related("papers")

    def item_title(self, summary):
        name = summary.category.display_name(summary.language)
        return f"{summary.digest.date.isoformat()} · {name} ({summary.paper_count})"

    def item_link(self, summary):
        return reverse("day", args=[summary.digest.date]) + f"#{summary.category.slug}"

    def item_guid(self, summary):
        return f"{URN}:summary:{summary.digest.date.isoformat()}:{summary.category.slug}"

    def item_guid_is_permalink(self, summary):
        return False

    def item_pubdate(self, summary):
        return summary.digest.published_at

    def item_updateddate(self, summary):
        return _latest(
            summary.digest.published_at,
            summary.updated_at,
            *(p.updated_at for p in summary.papers.all()),
        )

    def item_categories(self, summary):
        return [summary.category.name]

    def get_context_data(self, **kwargs):
        summary = kwargs["item"]
        name = summary.category.display_name(summary.language)
        return {"section": _section(summary, name, summary.paper_count)}


# A category's new papers --------------------------------------------------------------------


def _category_papers(slug: str):
    """The category's papers by the day they were first listed, newest day first."""
    days = DailyDigest.objects.published()
    listed_at = days.filter(date=OuterRef("announced_on")).values("published_at")[:1]
    return (
        Paper.objects.filter(category__slug=slug, announced_on__in=days.values("date"))
        .annotate(listed_at=Subquery(listed_at))
        .select_related("category")
        .order_by("-announced_on", *Paper._meta.ordering)[:PAPERS]
    )


def papers_state(slug: str) -> tuple:
    values = _category_papers(slug).aggregate(
        changed=Max("updated_at"),
        changed_listed=Max("listed_at"),
        papers=Count("pk"),
        newest=Max("announced_on"),
        oldest=Min("announced_on"),
    )
    category = _category_fields(slug)
    return category and _state({**values, "category": category})


class CategoryPapersFeed(CategoryFeed):
    """The category's newest papers, one item each."""

    description_template = "feeds/paper.html"

    def title(self, category):
        return f"{super().title(category)} · " + _("New papers")

    def feed_guid(self, category):
        return f"{URN}:feed:category:{category.slug}:papers"

    def items(self, category):
        return _category_papers(category.slug)

    def item_title(self, paper):
        return paper.title

    def item_link(self, paper):
        return paper.abs_url

    def item_guid(self, paper):
        return f"oai:arXiv.org:{paper.arxiv_id}" if paper.arxiv_id else paper.abs_url

    def item_guid_is_permalink(self, paper):
        return not paper.arxiv_id

    def item_pubdate(self, paper):
        return paper.listed_at

    def item_updateddate(self, paper):
        return _latest(paper.listed_at, paper.updated_at)

    def item_author_name(self, paper):
        if not paper.authors:
            return None
        more = len(paper.authors) > 3
        return ", ".join(paper.authors[:3]) + (" et al." if more else "")

    def item_categories(self, paper):
        return [paper.category.name]

    def get_context_data(self, **kwargs):
        return {"paper": kwargs["item"]}


class DailyAtomFeed(DailyFeed):
    feed_type = Atom1Feed
    subtitle = DailyFeed.description


class CategoryAtomFeed(CategoryFeed):
    feed_type = Atom1Feed
    subtitle = CategoryFeed.description


class CategoryPapersAtomFeed(CategoryPapersFeed):
    feed_type = Atom1Feed
    subtitle = CategoryPapersFeed.description


daily_rss = conditional(daily_state)(DailyFeed())
daily_atom = conditional(daily_state)(DailyAtomFeed())
category_rss = conditional(category_state)(CategoryFeed())
category_atom = conditional(category_state)(CategoryAtomFeed())
papers_rss = conditional(papers_state)(CategoryPapersFeed())
papers_atom = conditional(papers_state)(CategoryPapersAtomFeed())
