"""Feeds with a follower's filter: each subscription's private feed (/feeds/follow/<token>.rss)
and the keyword feed without a subscription (/feeds/keywords.rss?q=…&exclude=…&category=…).
Both choose their papers with papers.keywords, as the daily email does.

The keyword feed overlaps the search feed (/feeds/search.rss?q=…&exclude=…&category=…), so it
answers with a permanent redirect to the search feed saying the same (`search_url`: its
keywords as a web-search OR of phrases, its category, its exclusions), and serves the filter
itself only where the search feed cannot say it: several categories, or no keywords.

Items are the matching papers of the latest FEED_DAYS published days, newest day first and
most popular first within a day, at most FEED_ITEMS of them, found among at most FEED_SCAN
candidates (the exclusions are applied outside the database). GUIDs are arXiv's own, as in
the reader's feeds. Conditional GET: ConditionalGetMiddleware's ETag of the body.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseBadRequest, HttpResponsePermanentRedirect
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


def search_url(paper_filter: PaperFilter, name: str) -> str | None:
    """The search feed `name` ("feed-search-rss" or "-atom") that asks for the same papers as
    the keyword feed of `paper_filter`, or None where it cannot (several categories, none of
    the keywords the search needs)."""
    if not paper_filter.include or len(paper_filter.categories) > 1:
        return None
    words = (f'"{k}"' if " " in k else k for k in paper_filter.include)
    params = {"q": " OR ".join(words)}
    for slug in paper_filter.categories:  # one at most
        params["category"] = slug
    if paper_filter.exclude:
        params["exclude"] = ", ".join(paper_filter.exclude)
    return reverse(name) + "?" + urlencode(params)


def _search_view(feed, search_feed: str):
    def view(request):
        try:
            paper_filter = search_filter(request.GET)
        except KeywordError as exc:
            return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
        url = search_url(paper_filter, search_feed)
        if url is not None:
            return HttpResponsePermanentRedirect(url)
        request.feed_filter = paper_filter
        return feed(request)

    return view


personal_rss = PersonalFeed()
personal_atom = PersonalAtomFeed()
search_rss = _search_view(SearchFeed(), "feed-search-rss")
search_atom = _search_view(SearchAtomFeed(), "feed-search-atom")
