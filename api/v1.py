"""The read-only JSON API, version 1, with django-ninja: /api/v1/…, its OpenAPI schema at
/api/v1/openapi.json and interactive docs at /api/v1/docs.

Only published content is served. Lists are paginated (`?page=`, PAGE_SIZE items; the envelope
has count, page, pages, next and previous); a page past the last is a 404. Every response is
cacheable: ConditionalGetMiddleware gives it an ETag (a client's If-None-Match gets a 304) and
it may be reused for MAX_AGE seconds. Each endpoint's query count is fixed (tests/api pins it).

django-ninja was chosen over Django REST framework by measurement and fit: docs/api.md.
"""

import datetime
from math import ceil

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control
from ninja import NinjaAPI, Query
from ninja.errors import HttpError

from api.schemas import (
    CategoryList,
    DayDetail,
    DayPage,
    Error,
    PaperDetail,
    PaperPage,
    SearchPage,
)
from digest.models import DailyDigest
from papers.models import Category, Paper
from reader import search as reader_search
from summaries.models import CategorySummary

PAGE_SIZE = 50
DAYS_PAGE_SIZE = 30
MAX_PAGE = 10_000
MAX_AGE = 300
MAX_ID = 64
MAX_QUERY = 200
MAX_COUNTED = 1000  # a search counts its matches this far (a common word matches most papers)


class CachedAPI(NinjaAPI):
    def create_response(self, request, data, *args, **kwargs):
        response = super().create_response(request, data, *args, **kwargs)
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            patch_cache_control(response, public=True, max_age=MAX_AGE)
        return response


api = CachedAPI(
    title="Daily AI Insights API",
    version="1.0.0",
    description="Read-only: published days with their category counts and summaries, their "
    "papers, categories and search. Lists are paginated with `page`; responses carry an ETag.",
    urls_namespace="api-v1",
)


def _page(request: HttpRequest, count: int, page: int, size: int) -> dict:
    pages = max(1, ceil(count / size))
    if page > pages:
        raise HttpError(404, f"Page {page} is past the last page ({pages}).")

    def url(number: int) -> str:
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "page": page,
        "pages": pages,
        "next": url(page + 1) if page < pages else None,
        "previous": url(page - 1) if page > 1 else None,
    }


def _slugs() -> dict:
    """Category slugs by id: a chart slice names its category by one or the other."""
    return dict(Category.objects.values_list("pk", "slug"))


def _day(request, digest: DailyDigest, slugs: dict) -> dict:
    return {
        "date": digest.date,
        "published_at": digest.published_at,
        "papers": sum(entry["count"] for entry in digest.chart),
        "categories": [
            {
                "slug": entry.get("slug") or slugs.get(entry.get("category"), ""),
                **{k: entry[k] for k in ("name", "name_ko", "emoji", "count")},
            }
            for entry in digest.chart
        ],
        "url": request.build_absolute_uri(reverse("day", args=[digest.date])),
    }


def _paper(paper: Paper) -> dict:
    return {
        "arxiv_id": paper.arxiv_id,
        "version": paper.version,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": [str(a) for a in paper.authors or []],
        "category": paper.category.slug if paper.category else None,
        "arxiv_categories": [str(c) for c in paper.arxiv_categories or []],
        "announced_on": paper.announced_on,
        "upvotes": paper.upvotes,
        "github_repo": paper.github_repo,
        "url": paper.abs_url,
        "pdf_url": paper.pdf_url,
    }


def _published_day(date: datetime.date) -> DailyDigest:
    digest = DailyDigest.objects.published().with_announcement().filter(date=date).first()
    if digest is None:
        raise HttpError(404, f"No published day {date.isoformat()}.")
    return digest


# Endpoints -----------------------------------------------------------------------------------

PageNumber = Query(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")


@api.get("/categories", response=CategoryList, tags=["categories"])
def categories(request):
    """The taxonomy: every active category. One query."""
    found = list(Category.objects.active())
    return {"count": len(found), "results": found}


@api.get("/days", response={200: DayPage, 404: Error}, tags=["days"])
def days(request, page: int = PageNumber):
    """Published days, newest first, with their papers per category. Three queries."""
    published = DailyDigest.objects.published().with_announcement().order_by("-date")
    envelope = _page(request, published.count(), page, DAYS_PAGE_SIZE)
    start = (page - 1) * DAYS_PAGE_SIZE
    rows = published.only("date", "published_at", "chart")[start : start + DAYS_PAGE_SIZE]
    slugs = _slugs()
    return {**envelope, "results": [_day(request, d, slugs) for d in rows]}


@api.get("/days/{date}", response={200: DayDetail, 404: Error}, tags=["days"])
def day(request, date: datetime.date, language: str | None = Query(None, pattern="^(ko|en)$")):
    """One published day: category counts and every category's summary, in `language` where
    one was written (else the default language). Three queries."""
    digest = _published_day(date)
    language = language or settings.DIGEST_LANGUAGE
    wanted = {language, settings.DIGEST_LANGUAGE}
    chosen = {}
    summaries = CategorySummary.objects.filter(digest=digest, language__in=wanted)
    for summary in summaries.select_related("category").order_by("category__order"):
        if summary.category.slug not in chosen or summary.language == language:
            chosen[summary.category.slug] = summary
    out = []
    for slug, summary in chosen.items():
        sections = summary.sections or {}
        out.append(
            {
                "category": slug,
                "language": summary.language,
                "markdown": summary.body,
                "generator": summary.generator,
                "findings": [
                    {"text": f.get("text", ""), "refs": list(f.get("refs", []))}
                    for f in sections.get("findings", [])
                ],
                **{k: list(sections.get(k, [])) for k in ("themes", "trends", "impact", "outlook")},
            }
        )
    return {**_day(request, digest, _slugs()), "complete": digest.is_complete, "summaries": out}


@api.get("/days/{date}/papers", response={200: PaperPage, 404: Error}, tags=["days"])
def day_papers(
    request,
    date: datetime.date,
    page: int = PageNumber,
    category: str | None = Query(None, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$"),
):
    """The papers of a published day, most popular first, optionally of one category.
    Three queries."""
    digest = _published_day(date)
    papers = Paper.objects.filter(digests=digest)
    if category:
        papers = papers.filter(category__slug=category)
    envelope = _page(request, papers.count(), page, PAGE_SIZE)
    start = (page - 1) * PAGE_SIZE
    rows = papers.select_related("category")[start : start + PAGE_SIZE]
    return {**envelope, "results": [_paper(p) for p in rows]}


@api.get("/papers/{path:arxiv_id}", response={200: PaperDetail, 404: Error}, tags=["papers"])
def paper(request, arxiv_id: str):
    """A paper by its arXiv id (without version), if a published day listed it. Two queries."""
    if len(arxiv_id) > MAX_ID or "\x00" in arxiv_id:
        raise HttpError(404, "No such paper.")
    found = Paper.objects.select_related("category").filter(arxiv_id=arxiv_id).first()
    days = []
    if found is not None:
        days = list(
            found.digests.filter(published_at__isnull=False)
            .exclude(status=DailyDigest.Status.NO_ANNOUNCEMENT)
            .order_by("date")
            .values_list("date", flat=True)
        )
    if not days:
        raise HttpError(404, "No such paper on a published day.")
    return {**_paper(found), "days": days}


@api.get("/search", response={200: SearchPage, 404: Error}, tags=["search"])
def search(
    request, q: str = Query(..., min_length=1, max_length=MAX_QUERY), page: int = PageNumber
):
    """Published papers matching `q` (the site's search syntax: "a phrase", OR, -word), newest
    first; counts stop at 1,000. Two queries (none for a query without words)."""
    query = " ".join(q.replace("\x00", " ").split())[:MAX_QUERY]
    if not reader_search.words(query):
        return {**_page(request, 0, page, PAGE_SIZE), "capped": False, "results": []}
    found = reader_search.papers(query, reader_search.NEWEST)  # every match, not the ranked
    matches = found.order_by().values("pk")[: MAX_COUNTED + 1].count()
    envelope = _page(request, min(matches, MAX_COUNTED), page, PAGE_SIZE)
    start = (page - 1) * PAGE_SIZE
    rows = found.select_related("category")[start : start + PAGE_SIZE]
    return {**envelope, "capped": matches > MAX_COUNTED, "results": [_paper(p) for p in rows]}
