"""What the reader's pages show, each assembled in a fixed number of queries whatever its size."""

import calendar
import datetime
from typing import NamedTuple

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import pgettext_lazy

from digest import chart
from digest.models import DailyDigest, PopularitySnapshot
from papers.models import Category, Paper
from summaries.models import CategorySummary, PaperBrief
from summaries.report import Report

RECENT_DAYS = 10  # days listed on a category page
TREND_WEEKS = 26  # weeks in a category's trend chart
CATEGORY_PAPERS = 3  # featured papers shown per day on a category page
# Column heads of the archive's calendars, Sunday first.
WEEKDAYS = [
    pgettext_lazy("calendar", "Sun"),
    pgettext_lazy("calendar", "Mon"),
    pgettext_lazy("calendar", "Tue"),
    pgettext_lazy("calendar", "Wed"),
    pgettext_lazy("calendar", "Thu"),
    pgettext_lazy("calendar", "Fri"),
    pgettext_lazy("calendar", "Sat"),
]


def in_language(summaries, language: str) -> dict:
    """Summaries by (digest id, category id): the reader's language when stored, else the
    default language."""
    return preferring(summaries.filter(language__in={language, settings.DIGEST_LANGUAGE}), language)


def preferring(summaries, language: str) -> dict:
    """One summary per (digest id, category id), in `language` when there is one."""
    chosen = {}
    for summary in summaries:
        key = (summary.digest_id, summary.category_id)
        if summary.language == language or key not in chosen:
            chosen[key] = summary
    return chosen


class Brief(NamedTuple):
    """A paper's TL;DR as the pages show it, labelled by where it came from."""

    text: str
    source: str  # PaperBrief.Source: claude, extract (from the abstract) or editor
    language: str


def paper_briefs(briefs, language: str) -> dict[int, Brief]:
    """The TL;DRs of `briefs` (a PaperBrief queryset) by paper id, in the reader's language when
    stored, else the default language; empty ones (waiting for the retry pass) left out. One
    query."""
    rows = briefs.shown().filter(language__in={language, settings.DIGEST_LANGUAGE})
    chosen: dict[int, Brief] = {}
    for paper_id, lang, text, source in rows.values_list("paper_id", "language", "text", "source"):
        if lang == language or paper_id not in chosen:
            chosen[paper_id] = Brief(text, source, lang)
    return chosen


def category_page(category, language: str) -> dict:
    """A category's share over recent weeks and its latest days with their summaries.

    Queries: the published days of the trend window, the summaries of the recent days with
    their featured papers (two), their TL;DRs, and the other categories.
    """
    days = DailyDigest.objects.published()
    latest = days.order_by("-date").values_list("date", flat=True).first()
    since = _week_start(latest or datetime.date.today()) - datetime.timedelta(weeks=TREND_WEEKS - 1)
    weeks: dict[datetime.date, list[int]] = {
        since + datetime.timedelta(weeks=i): [0, 0] for i in range(TREND_WEEKS)
    }
    counted = []
    for day, slices in days.filter(date__gte=since).order_by("date").values_list("date", "chart"):
        count = next((s["count"] for s in slices if s["category"] == category.pk), 0)
        total = sum(s["count"] for s in slices)
        week = weeks[_week_start(day)]
        week[0] += count
        week[1] += total
        if count:
            counted.append({"date": day, "count": count, "total": total})
    recent = counted[::-1][:RECENT_DAYS]

    featured = Paper.objects.order_by(F("upvotes").desc(nulls_last=True), "arxiv_id").only(
        "arxiv_id", "title", "upvotes", "abs_url"
    )
    summaries = CategorySummary.objects.filter(
        category=category, digest__date__in=[d["date"] for d in recent]
    ).prefetch_related(Prefetch("papers", queryset=featured))
    by_day = {}
    for summary in in_language(summaries.select_related("digest"), language).values():
        by_day[summary.digest.date] = summary
    for day in recent:
        summary = by_day.get(day["date"])
        report = summary and Report.from_dict(summary.sections)
        day["theme"] = report.themes[0] if report and report.themes else ""
        day["papers"] = list(summary.papers.all())[:CATEGORY_PAPERS] if summary else []
    shown = [paper.pk for day in recent for paper in day["papers"]]
    briefs = paper_briefs(PaperBrief.objects.filter(paper__in=shown), language)
    return {
        "category": category,
        "name": category.display_name(language),
        "recent": recent,
        "briefs": briefs,
        "figure": chart.trend_figure(category, sorted(weeks.items()), language),
        "weeks": TREND_WEEKS,
        "categories": [
            {"category": c, "name": c.display_name(language)} for c in Category.objects.active()
        ],
    }


def _week_start(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.weekday())


def archive_page(year: int) -> dict:
    """A calendar per month of `year`, newest month first; published days link to their page.

    Queries: the years that have published days, and the days of `year`.
    """
    published = DailyDigest.objects.published()
    years = [d.year for d in published.dates("date", "year", order="DESC")]
    counts = {
        day: sum(s["count"] for s in slices)
        for day, slices in published.filter(date__year=year).values_list("date", "chart")
    }
    months = []
    weeks = calendar.Calendar(firstweekday=6)  # weeks start on Sunday, as Korean calendars do
    for month in sorted({day.month for day in counts}, reverse=True):
        rows = [
            [{"date": d, "count": counts.get(d)} if d.month == month else None for d in week]
            for week in weeks.monthdatescalendar(year, month)
        ]
        days = [d for d in counts if d.month == month]
        months.append({"first": datetime.date(year, month, 1), "weeks": rows, "days": len(days)})
    return {
        "year": year,
        "years": years,
        "months": months,
        "day_count": len(counts),
        "paper_count": sum(counts.values()),
        "weekdays": WEEKDAYS,
    }


def paper_page(paper, language: str) -> dict | None:
    """A paper with the published days it appeared in and the summaries citing it.

    Returns None when no published day has it: readers only see published papers.
    Queries: the published days, the summaries with their day and category, its TL;DRs, its
    related papers.
    """
    digests = list(paper.digests.published().order_by("-date").only("date"))
    if not digests:
        return None
    citing = in_language(
        paper.summaries.filter(digest__published_at__isnull=False).select_related(
            "digest", "category"
        ),
        language,
    )
    return {
        "paper": paper,
        "digests": digests,
        "citing": sorted(citing.values(), key=lambda s: s.digest.date, reverse=True),
        "category_name": paper.category and paper.category.display_name(language),
        "briefs": paper_briefs(PaperBrief.objects.filter(paper=paper), language),
        "related": related_papers(paper),
    }


def related_papers(paper) -> list:
    """The paper's most similar published papers (papers.related), most similar first. One
    query: they were computed when the paper was ingested."""
    links = (
        paper.related_links.filter(related__digests__published_at__isnull=False)
        .select_related("related")
        .order_by("rank")
        .distinct()
    )
    return [link.related for link in links]


RISING_SHOWN = 30  # papers on the rising page


def rising_page(language: str) -> dict:
    """The published papers of the last week (those the latest popularity refresh read,
    digest/popularity.py) that gained most Hugging Face upvotes and GitHub stars since the
    refresh before, with their TL;DRs.

    Queries: the two latest refresh days, the gains with their papers and categories, the
    TL;DRs.
    """
    published = DailyDigest.objects.published().filter(papers=OuterRef("paper"))
    latest, previous, rising = rising_gains(Exists(published), RISING_SHOWN)
    briefs = PaperBrief.objects.filter(paper__in=[s.paper_id for s in rising])
    return {
        "latest": latest,
        "previous": previous,
        "rising": rising,
        "briefs": paper_briefs(briefs, language) if rising else {},
    }


def rising_gains(papers, limit: int) -> tuple[datetime.date | None, datetime.date | None, list]:
    """The latest and previous popularity refresh days, and the snapshots of the latest one
    whose papers (`papers`: a filter on PopularitySnapshot) gained most upvotes and stars since
    the previous one, each with `upvotes_gained`, `stars_gained` and its paper and category. A
    paper new since then gained all it has. No gains before the second refresh.

    Queries: the two latest refresh days, then the gains if there are two.
    """
    days = list(
        PopularitySnapshot.objects.order_by("-day").values_list("day", flat=True).distinct()[:2]
    )
    if len(days) < 2:
        return (days[0] if days else None), None, []
    latest, previous = days
    before = PopularitySnapshot.objects.filter(paper=OuterRef("paper"), day=previous)
    snapshots = (
        PopularitySnapshot.objects.filter(papers, day=latest)
        .annotate(
            upvotes_gained=Coalesce("upvotes", 0)
            - Coalesce(Subquery(before.values("upvotes")[:1]), 0),
            stars_gained=Coalesce("stars", 0) - Coalesce(Subquery(before.values("stars")[:1]), 0),
        )
        .filter(Q(upvotes_gained__gt=0) | Q(stars_gained__gt=0))
        .annotate(gained=F("upvotes_gained") + F("stars_gained"))
        .select_related("paper__category")
        .order_by("-gained", "-upvotes_gained", "paper__arxiv_id", "paper_id")[:limit]
    )
    return latest, previous, list(snapshots)
