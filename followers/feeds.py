"""Feeds with a follower's filter: each subscription's private feed (/feeds/follow/<token>.rss)
and the keyword feed without a subscription (/feeds/keywords.rss?q=…&exclude=…&category=…).
Both choose their papers with papers.keywords, as the daily email does.

Items are the matching papers of the latest FEED_DAYS published days, newest day first and
most popular first within a day, at most FEED_ITEMS of them, found among at most FEED_SCAN
candidates (the exclusions are applied outside the database). GUIDs are arXiv's own, as in
the reader's feeds. Conditional GET: ConditionalGetMiddleware's ETag of the body.
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseBadRequest
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

from digest.models import DailyDigest
from followers import tokens
from papers.keywords import KeywordError, PaperFilter, parse_keywords
from papers.models import Category, Paper
from reader.feed_items import PaperItems

SITE = "Daily AI Insights"
URN = "urn:daily-ai-insights"
FEED_DAYS = 14
FEED_ITEMS = 50
FEED_SCAN = 3000
MAX_CATEGORIES = 20


def feed_papers(paper_filter: PaperFilter) -> list:
    days = DailyDigest.objects.published().with_announcement().order_by("-date")[:FEED_DAYS]
    dates = list(days.values_list("date", flat=True))
    papers = Paper.objects.filter(announced_on__in=dates).order_by(
        "-announced_on", *Paper._meta.ordering
    )
    return paper_filter.select(papers, FEED_ITEMS, FEED_SCAN)


class FilteredFeed(PaperItems, Feed):
    feed_type = Rss201rev2Feed
    author_name = SITE
    description_template = "feeds/paper.html"

    @property
    def language(self):
        return settings.DIGEST_LANGUAGE

    def items(self, obj):
        return feed_papers(obj["filter"])

    def item_pubdate(self, paper):
        return paper.created_at

    def item_updateddate(self, paper):
        return paper.updated_at

    def get_context_data(self, **kwargs):
        return {"paper": kwargs["item"]}

    def link(self, obj):
        return reverse("latest")

    def title(self, obj):
        return obj["title"]

    def description(self, obj):
        return obj["description"]

    def feed_guid(self, obj):
        return obj["guid"]


class PersonalFeed(FilteredFeed):
    def get_object(self, request, token):
        subscriber = tokens.read(token, tokens.FEED)
        if subscriber is None:
            raise ObjectDoesNotExist
        return {
            "filter": PaperFilter.of(subscriber),
            "title": f"{SITE} · my papers",
            "description": "The papers your subscription asks for.",
            "guid": f"{URN}:feed:follow:{subscriber.pk}",
        }


class SearchFeed(FilteredFeed):
    def get_object(self, request):
        paper_filter = request.feed_filter
        words = ", ".join(paper_filter.include) or "every paper"
        without = f" without {', '.join(paper_filter.exclude)}" if paper_filter.exclude else ""
        return {
            "filter": paper_filter,
            "title": f"{SITE} · {words}{without}"[:200],
            "description": "Papers matching keywords.",
            "guid": f"{URN}:feed:search",
        }


class PersonalAtomFeed(PersonalFeed):
    feed_type = Atom1Feed


class SearchAtomFeed(SearchFeed):
    feed_type = Atom1Feed


def search_filter(params) -> PaperFilter:
    """The keyword feed's filter from its query string; KeywordError says what is wrong."""
    include = parse_keywords(params.get("q", ""))
    exclude = parse_keywords(params.get("exclude", ""))
    slugs = params.getlist("category")
    if len(slugs) > MAX_CATEGORIES:
        raise KeywordError(f"At most {MAX_CATEGORIES} categories.")
    known = set(Category.objects.filter(slug__in=slugs).values_list("slug", flat=True))
    if set(slugs) - known:
        raise KeywordError("Unknown category.")
    if not include and not known:
        raise KeywordError("Give keywords (q=) or a category (category=).")
    return PaperFilter(frozenset(known), tuple(include), tuple(exclude))


def _search_view(feed):
    def view(request):
        try:
            request.feed_filter = search_filter(request.GET)
        except KeywordError as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
        return feed(request)

    return view


personal_rss = PersonalFeed()
personal_atom = PersonalAtomFeed()
search_rss = _search_view(SearchFeed())
search_atom = _search_view(SearchAtomFeed())
