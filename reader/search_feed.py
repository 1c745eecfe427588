"""A search as a feed: the newest 50 papers matching a query within its filters (RSS and Atom).

/feeds/search.rss?q=…&category=…&from=…&to=… keeps the search page's parameters (reader/search.py
builds the link): a reader who subscribes to a search gets its new papers. A feed is read by a
program that wants what is new, so it is always newest first, whatever the page's sort. It is not
cached (every query is its own feed) and costs one query.
"""

from django.contrib.syndication.views import Feed
from django.db.models import OuterRef, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from digest.models import DailyDigest
from papers.keywords import KeywordError, PaperFilter, parse_keywords
from reader import search
from reader.feed_items import PaperItems
from reader.feed_versions import latest

ITEMS = 50
URN = "urn:daily-ai-insights"


class SearchFeed(PaperItems, Feed):
    feed_type = Rss201rev2Feed
    author_name = "Daily AI Insights"
    description_template = "feeds/paper.html"

    def get_object(self, request):
        try:
            exclude = tuple(parse_keywords(request.GET.get("exclude", "")))
        except KeywordError as exc:
            raise Http404(str(exc)) from None
        return {
            "query": search.clean(request.GET.get("q", "")),
            "filters": search.Filters.from_params(request.GET),
            "exclude": PaperFilter(exclude=exclude),
        }

    def title(self, obj):
        return _("“%(query)s” — search") % {"query": obj["query"]} + " · Daily AI Insights"

    def description(self, obj):
        return _("The newest papers that match a search.")

    def link(self, obj):
        links = search.links(obj["query"], search.NEWEST, obj["filters"])
        return reverse("search") + "?" + links[search.NEWEST]

    def feed_guid(self, obj):
        links = search.links(obj["query"], search.NEWEST, obj["filters"])
        return f"{URN}:feed:search:{links['feed']}"

    def items(self, obj):
        if not search.words(obj["query"]):
            return []
        listed_at = DailyDigest.objects.filter(date=OuterRef("announced_on")).values(
            "published_at"
        )[:1]
        found = search.papers(obj["query"], search.NEWEST, obj["filters"])
        found = found.select_related("category").annotate(listed_at=Subquery(listed_at))
        # The exclusions are the followers' keyword filter, applied outside the database.
        return obj["exclude"].select(found, limit=ITEMS, scan=4 * ITEMS)

    def item_pubdate(self, paper):
        return paper.listed_at

    def item_updateddate(self, paper):
        return latest(paper.listed_at, paper.updated_at)

    def get_context_data(self, **kwargs):
        return {"paper": kwargs["item"]}


class SearchAtomFeed(SearchFeed):
    feed_type = Atom1Feed

    def subtitle(self, obj):
        return self.description(obj)


search_rss = SearchFeed()
search_atom = SearchAtomFeed()
