"""Reader-facing pages: thin views over reader.pages and reader.search.

Pages of published content are rendered once per cache generation (reader.pagecache), language
and host, and kept gzipped, as nearly every client takes them: a day page is ~400 KB of HTML and
~60 KB compressed. They carry an ETag and Last-Modified, so a returning reader gets 304.
"""

import datetime

from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import http_date
from django.views.decorators.http import require_safe

from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import day_page, pagecache, pages, search
from reader.slugs import follow_renamed

MAX_AGE = 5 * 60  # browsers may reuse a page this long before revalidating it


@require_safe
def latest(request):
    """The front page is the latest published day; before the first one, say how to build it."""
    digest = DailyDigest.objects.published().order_by("-date").first()
    if digest is None:
        return render(request, "reader/empty.html")
    return redirect("day", day=digest.date)


@require_safe
def day(request, day):
    def build():
        digest = get_object_or_404(DailyDigest.objects.published(), date=day)
        return "reader/day.html", day_page.day_page(digest, request.LANGUAGE_CODE)

    return _cached(request, f"day:{day}", build)


@require_safe
@follow_renamed("category")
def category(request, slug):
    def build():
        category = get_object_or_404(Category, slug=slug)
        return "reader/category.html", pages.category_page(category, request.LANGUAGE_CODE)

    return _cached(request, f"category:{slug}", build)


@require_safe
def archive(request, year=None):
    if year is None:
        latest = DailyDigest.objects.published().order_by("-date").first()
        if latest is None:
            return render(request, "reader/empty.html")
        year = latest.date.year
    if not datetime.MINYEAR <= year <= datetime.MAXYEAR:
        raise Http404("No such year.")  # a date of it would raise, so it cannot have days

    def build():
        context = pages.archive_page(year)
        if not context["months"]:
            raise Http404("No published days that year.")
        return "reader/archive.html", context

    return _cached(request, f"archive:{year}", build)


@require_safe
def paper(request, arxiv_id):
    return _paper(request, f"paper:{arxiv_id}", arxiv_id=arxiv_id)


@require_safe
def paper_by_id(request, pk):
    return _paper(request, f"paper:#{pk}", pk=pk, arxiv_id__isnull=True)


def _paper(request, name, **lookup):
    def build():
        paper = get_object_or_404(Paper.objects.select_related("category"), **lookup)
        context = pages.paper_page(paper, request.LANGUAGE_CODE)
        if context is None:
            raise Http404("Not in any published digest.")
        return "reader/paper.html", context

    return _cached(request, name, build)


@require_safe
def rising(request):
    def build():
        return "reader/rising.html", pages.rising_page(request.LANGUAGE_CODE)

    return _cached(request, "rising", build)


@require_safe
def search_view(request):
    context = search.search_page(
        request.GET.get("q", ""), request.GET.get("page"), request.LANGUAGE_CODE, request.GET
    )
    return render(request, "reader/search.html", context)


@require_safe
def robots_txt(request):
    sitemap = request.build_absolute_uri(reverse("sitemap-index"))
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /search/", f"Sitemap: {sitemap}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


def _cached(request, name: str, build) -> HttpResponse:
    """The page `build()` describes as (template, context), rendered at most once per generation.

    `build` raises Http404 for pages that do not exist; those are not cached.
    """

    def render_page():
        template, context = build()
        modified = context.get("last_modified")
        return pagecache.page(
            render_to_string(template, context, request).encode(),
            last_modified=http_date(modified.timestamp()) if modified else None,
        )

    # What a page takes from the request: its language and, for absolute URLs (canonical,
    # og:url, og:image, all built from the route), its scheme and host. Nothing else.
    origin = f"{request.scheme}://{request.get_host()}"
    page = pagecache.cached(f"{name}:{request.LANGUAGE_CODE}:{origin}", render_page)
    response = pagecache.response(request, page)
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response
