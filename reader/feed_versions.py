"""What each feed shows, as one aggregate query: its version (Last-Modified and ETag).

A feed answers a conditional GET from its version before building anything, with Django's
`condition()`; otherwise it is built once per version and kept gzipped in the page cache
(`reader.pagecache`), keyed by the ETag too, so a write that bypasses the page cache's signals
(a queryset update) still changes the version and can never be answered from the cache.
"""

import hashlib
from functools import wraps

from django.conf import settings
from django.db.models import Count, Max, Min, OuterRef, Q, Subquery
from django.utils import translation
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import condition

from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import pagecache
from summaries.models import CategorySummary, PaperBrief

DAYS = 10  # items of the daily feed: each carries a whole day
SUMMARIES = 30  # items of a category's summary feed
PAPERS = 50  # items of a category's paper feed


def cached_feed(version):
    """Serve a feed view from `version(**kwargs) -> (last_modified, etag)`, computed once per
    request. A version of None means there is no such feed: the feed itself answers (a 404).
    Clients that take gzip get the gzipped copy under the weak form of the ETag."""

    def decorator(feed):
        def current(request, **kwargs):
            if not hasattr(request, "feed_version"):
                request.feed_version = version(**kwargs)
            return request.feed_version

        def etag(request, **kwargs):
            state = current(request, **kwargs)
            if state is None:
                return None
            return f"W/{state[1]}" if _gzipped(request) else state[1]

        def last_modified(request, **kwargs):
            state = current(request, **kwargs)
            return state and state[0]

        @condition(etag_func=etag, last_modified_func=last_modified)
        @wraps(feed)
        def view(request, **kwargs):
            state = current(request, **kwargs)
            if state is None:
                return feed(request, **kwargs)
            changed, tag = state
            headers = {
                "etag": tag.strip('"'),
                "last_modified": changed and http_date(changed.timestamp()),
            }

            def render():
                with translation.override(settings.DIGEST_LANGUAGE):  # whatever the reader's
                    built = feed(request, **kwargs)
                return {"type": built["Content-Type"], **pagecache.page(built.content, **headers)}

            page = pagecache.cached(f"feed:{request.get_host()}:{request.path}:{tag}", render)
            return pagecache.response(request, page, content_type=page["type"])

        return view

    return decorator


def _gzipped(request) -> bool:
    return bool(pagecache.ACCEPTS_GZIP.search(request.headers.get("Accept-Encoding", "")))


def _state(values: dict) -> tuple:
    """(latest change, strong ETag) from an aggregate; every value feeds the ETag."""
    stamps = [v for k, v in values.items() if k.startswith("changed") and v is not None]
    etag = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:32]
    return (max(stamps) if stamps else None), quote_etag(etag)


def latest(*stamps):
    return max(s for s in stamps if s is not None)


def feed_days():
    """Days with papers: a day arXiv announced nothing is a notice on the site, not an item."""
    return DailyDigest.objects.published().with_announcement().order_by("-date")[:DAYS]


def in_feed_language(summaries):
    return summaries.filter(language=settings.DIGEST_LANGUAGE)


def daily_state() -> tuple:
    """What the daily feed shows: its days, their summaries and the papers these list."""
    shown = Q(summaries__language=settings.DIGEST_LANGUAGE)
    values = DailyDigest.objects.filter(pk__in=feed_days().values("pk")).aggregate(
        changed=Max("updated_at"),
        changed_published=Max("published_at"),
        changed_summary=Max("summaries__updated_at", filter=shown),
        changed_paper=Max("summaries__papers__updated_at", filter=shown),
        days=Count("pk", distinct=True),
        newest=Max("date"),
        oldest=Min("date"),
    )
    return _state(values)


def category_summaries(slug: str):
    return (
        in_feed_language(CategorySummary.objects.filter(category__slug=slug))
        .filter(digest__published_at__isnull=False)
        .select_related("digest", "category")
        .order_by("-digest__date")[:SUMMARIES]
    )


def category_state(slug: str) -> tuple:
    values = CategorySummary.objects.filter(pk__in=category_summaries(slug).values("pk")).aggregate(
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


def category_papers(slug: str):
    """The category's papers by the day they were first listed, newest day first."""
    days = DailyDigest.objects.published()
    listed_at = days.filter(date=OuterRef("announced_on")).values("published_at")[:1]
    return (
        Paper.objects.filter(category__slug=slug, announced_on__in=days.values("date"))
        .annotate(listed_at=Subquery(listed_at))
        .select_related("category")
        .order_by("-announced_on", *Paper._meta.ordering)[:PAPERS]
    )


def feed_briefs():
    """The TL;DRs the paper feeds show: in the feed's language, with text."""
    return in_feed_language(PaperBrief.objects.shown())


def papers_state(slug: str) -> tuple:
    # A changed TL;DR is a new version: its latest update per paper, in the same query.
    brief = feed_briefs().filter(paper=OuterRef("pk")).order_by("-updated_at")
    papers = category_papers(slug).annotate(brief_updated=Subquery(brief.values("updated_at")[:1]))
    values = papers.aggregate(
        changed=Max("updated_at"),
        changed_brief=Max("brief_updated"),
        changed_listed=Max("listed_at"),
        papers=Count("pk"),
        newest=Max("announced_on"),
        oldest=Min("announced_on"),
    )
    category = _category_fields(slug)
    return category and _state({**values, "category": category})
