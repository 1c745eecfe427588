"""What a day page shows, assembled in a fixed number of queries whatever the day's size."""

from collections import defaultdict

from django.conf import settings

from digest import chart
from summaries.report import SECTION_TITLES, Report


def day_page(digest, language: str) -> dict:
    """Context for one published day: chart figure, then one section per category.

    Queries: the papers with their categories, the summaries, and the neighbouring days.
    """
    papers = list(digest.papers.select_related("category"))
    by_category = defaultdict(list)
    for paper in papers:
        by_category[paper.category_id].append(paper)
    by_ref = {paper.ref: paper for paper in papers}

    summaries = {}
    # The reader's language when that summary exists, else the digest's default language.
    for summary in digest.summaries.filter(language__in={language, settings.DIGEST_LANGUAGE}):
        if summary.language == language or summary.category_id not in summaries:
            summaries[summary.category_id] = summary

    categories = {p.category.slug: p.category for p in papers}
    sections = []
    for slice_ in digest.chart:
        category = categories.get(slice_["slug"])
        if category is None:
            continue  # the chart is older than an editor's change; republishing refreshes it
        summary = summaries.get(category.pk)
        sections.append(
            {
                "category": category,
                "name": category.display_name(language),
                "papers": by_category[category.pk],
                "summary": summary and _summary_parts(summary, by_ref),
            }
        )
    published = type(digest).objects.published()
    return {
        "digest": digest,
        "sections": sections,
        "paper_count": len(papers),
        "figure": chart.plotly_figure(digest.chart, language),
        "previous_day": published.filter(date__lt=digest.date).order_by("-date").first(),
        "next_day": published.filter(date__gt=digest.date).order_by("date").first(),
    }


def _summary_parts(summary, by_ref: dict) -> dict:
    """The five sections with their headings, findings resolved to the papers they cite."""
    report = Report.from_dict(summary.sections)
    titles = SECTION_TITLES[summary.language]
    findings = [
        {"text": f.text, "papers": [by_ref[ref] for ref in f.refs if ref in by_ref]}
        for f in report.findings
    ]
    return {
        "language": summary.language,
        "generator": summary.generator,
        "note": report.note,
        "sources": list({p.pk: p for f in findings for p in f["papers"]}.values()),
        "parts": [
            {"key": "themes", "title": titles["themes"], "items": report.themes},
            {"key": "trends", "title": titles["trends"], "items": report.trends},
            {"key": "findings", "title": titles["findings"], "findings": findings},
            {"key": "impact", "title": titles["impact"], "items": report.impact},
            {"key": "outlook", "title": titles["outlook"], "items": report.outlook},
        ],
    }
