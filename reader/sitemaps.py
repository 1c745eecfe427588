"""The sitemap: published days, categories, and the papers of published days."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Exists, OuterRef
from django.urls import reverse

from digest.models import DailyDigest
from papers.models import Category, Paper
from reader.templatetags.reader import paper_url


class DaySitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.8

    def items(self):
        return DailyDigest.objects.published().only("date", "updated_at").order_by("-date")

    def location(self, digest):
        return reverse("day", args=[digest.date])

    def lastmod(self, digest):
        return digest.updated_at


class CategorySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6

    def items(self):
        return Category.objects.active()

    def location(self, category):
        return reverse("category", args=[category.slug])


class PaperSitemap(Sitemap):
    changefreq = "monthly"
    priority = 0.4
    limit = 10_000  # per sitemap page; a year holds ~300,000 papers

    def items(self):
        published = DailyDigest.papers.through.objects.filter(
            paper=OuterRef("pk"), dailydigest__published_at__isnull=False
        )
        return Paper.objects.filter(Exists(published)).only("arxiv_id", "updated_at").order_by("pk")

    def location(self, paper):
        return paper_url(paper)

    def lastmod(self, paper):
        return paper.updated_at


SITEMAPS = {"days": DaySitemap, "categories": CategorySitemap, "papers": PaperSitemap}
