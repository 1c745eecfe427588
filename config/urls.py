from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.urls import include, path, register_converter
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_page
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language

from config import health
from reader import downloads, feeds, search_feed, views
from reader.converters import ArxivIdConverter, IsoDateConverter
from reader.sitemaps import SITEMAPS

# The editors' admin names the product, not the framework ("Django 관리").
admin.site.site_header = _("Daily AI Insights editing")
admin.site.site_title = _("Daily AI Insights editing")
admin.site.index_title = _("Digests, papers and summaries")

register_converter(IsoDateConverter, "isodate")
register_converter(ArxivIdConverter, "arxiv")
SITEMAP_CACHE = 60 * 60

urlpatterns = [
    path("", views.latest, name="latest"),
    path("days/<isodate:day>/", views.day, name="day"),
    path("archive/", views.archive, name="archive"),
    path("archive/<int:year>/", views.archive, name="archive-year"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("papers/<arxiv:arxiv_id>/", views.paper, name="paper"),
    path("papers/id/<int:pk>/", views.paper_by_id, name="paper-by-id"),
    path("search/", views.search_view, name="search"),
    path("rising/", views.rising, name="rising"),
    # The worst a forged request can do here is switch the language; a CSRF token would make
    # every page that shows the switch uncacheable.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("robots.txt", views.robots_txt, name="robots"),
    path(
        "sitemap.xml",
        cache_page(SITEMAP_CACHE)(sitemap_views.index),
        {"sitemaps": SITEMAPS, "sitemap_url_name": "sitemap-section"},
        name="sitemap-index",
    ),
    path(
        "sitemap-<section>.xml",
        cache_page(SITEMAP_CACHE)(sitemap_views.sitemap),
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("days/<isodate:day>/report.md", downloads.report_download, name="day-report"),
    path("days/<isodate:day>/chart.png", downloads.chart_download, name="day-chart"),
    path("feeds/daily.rss", feeds.daily_rss, name="feed-daily-rss"),
    path("feeds/daily.atom", feeds.daily_atom, name="feed-daily-atom"),
    path("feeds/categories/<slug:slug>.rss", feeds.category_rss, name="feed-category-rss"),
    path("feeds/categories/<slug:slug>.atom", feeds.category_atom, name="feed-category-atom"),
    path("feeds/categories/<slug:slug>/papers.rss", feeds.papers_rss, name="feed-papers-rss"),
    path("feeds/categories/<slug:slug>/papers.atom", feeds.papers_atom, name="feed-papers-atom"),
    path("feeds/search.rss", search_feed.search_rss, name="feed-search-rss"),
    path("feeds/search.atom", search_feed.search_atom, name="feed-search-atom"),
    path("health/", health.health, name="health"),
    path("", include("followers.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
]
