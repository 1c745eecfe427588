"""RSS 2.0 and Atom feeds for subscribers: the daily digest, each category's daily summary, and
each category's new papers.

Every feed answers a conditional GET from one aggregate query over exactly what its items show
(reader/feed_versions.py), before building anything; the feed itself costs a fixed number of
queries, and is built once per version (its ETag) and kept gzipped in the page cache.
GUIDs never depend on the host name: `urn:daily-ai-insights:…` for days and summaries, arXiv's
own `oai:arXiv.org:<id>` for papers (a paper without one is identified by its URL, a permalink).
"""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.translation import gettext as _

from digest.export import summary_sources
from papers.models import Category
from reader.feed_items import PaperItems
from reader.feed_versions import (
    cached_feed,
    category_papers,
    category_state,
    category_summaries,
    daily_state,
    feed_briefs,
    feed_days,
    in_feed_language,
    latest,
    papers_state,
)
from reader.markdown import summary_html
from reader.slugs import follow_renamed
from summaries.models import CategorySummary

SITE = "Daily AI Insights"
URN = "urn:daily-ai-insights"


class BaseFeed(Feed):
    feed_type = Rss201rev2Feed
    author_name = SITE

    @property
    def language(self):
        return settings.DIGEST_LANGUAGE


# The daily digest ---------------------------------------------------------------------------


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
        summaries = in_feed_language(CategorySummary.objects.select_related("category"))
        return feed_days().prefetch_related(
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
        return latest(
            digest.published_at,
            digest.updated_at,
            *(s.updated_at for s in summaries),
            *(p.updated_at for s in summaries for p in s.papers.all()),
        )

    def get_context_data(self, **kwargs):
        digest, request = kwargs["item"], kwargs["request"]
        summaries = {s.category_id: s for s in digest.summaries.all()}
        sections = [
            _section(summaries[s["category"]], f"{s['emoji']} {s['name_ko']}", s["count"])
            for s in digest.chart
            if s["category"] in summaries
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
        return category_summaries(category.slug).prefetch_related("papers")

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
        return latest(
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


class CategoryPapersFeed(PaperItems, CategoryFeed):
    """The category's newest papers, one item each."""

    description_template = "feeds/paper.html"

    def title(self, category):
        return f"{super().title(category)} · " + _("New papers")

    def feed_guid(self, category):
        return f"{URN}:feed:category:{category.slug}:papers"

    def items(self, category):
        briefs = Prefetch("briefs", queryset=feed_briefs(), to_attr="feed_briefs")
        return category_papers(category.slug).prefetch_related(briefs)

    def item_pubdate(self, paper):
        return paper.listed_at

    def item_updateddate(self, paper):
        return latest(paper.listed_at, paper.updated_at, *(b.updated_at for b in paper.feed_briefs))

    def item_author_name(self, paper):
        if not paper.authors:
            return None
        more = len(paper.authors) > 3
        return ", ".join(paper.authors[:3]) + (" et al." if more else "")

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


daily_rss = cached_feed(daily_state)(DailyFeed())
daily_atom = cached_feed(daily_state)(DailyAtomFeed())
# A subscription to a renamed category's old address follows it (reader/slugs.py).
category_rss = follow_renamed("feed-category-rss")(cached_feed(category_state)(CategoryFeed()))
category_atom = follow_renamed("feed-category-atom")(
    cached_feed(category_state)(CategoryAtomFeed())
)
papers_rss = follow_renamed("feed-papers-rss")(cached_feed(papers_state)(CategoryPapersFeed()))
papers_atom = follow_renamed("feed-papers-atom")(
    cached_feed(papers_state)(CategoryPapersAtomFeed())
)
