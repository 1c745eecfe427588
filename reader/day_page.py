"""The day page: the day's categories, each opening with its key findings and TL;DR cards, the
rest of its report and its full paper list a click away; assembled in a fixed number of queries.
"""

import datetime
from collections import defaultdict
from typing import NamedTuple

from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest

from digest import chart
from digest.importer import IMPORTED, imported_refs
from papers.models import Category, Paper
from reader.markdown import summary_html
from reader.pages import in_language, paper_briefs, rising_gains
from summaries.models import PaperBrief
from summaries.report import SECTION_TITLES, Report, split_citation

FINDINGS_SHOWN = 2  # key findings a day page shows of a category before it is expanded
CARDS_SHOWN = 3  # TL;DR cards likewise
RISING_SHOWN = 5  # the day's papers that gained most since the refresh before


class DayPaper(NamedTuple):
    """What a day page shows of a paper, read without building ~1,000 model instances."""

    pk: int
    arxiv_id: str | None
    title: str
    authors: list
    abs_url: str
    pdf_url: str
    upvotes: int | None
    category_id: int | None
    hf_comments: int | None
    github_repo: str
    github_stars: int | None
    published: datetime.datetime | None

    @property
    def ref(self) -> str:
        return self.arxiv_id or self.abs_url  # as Paper.ref


def day_page(digest, language: str) -> dict:
    """Context for one published day: chart figure, then one section per category.

    Queries: the papers, their TL;DRs, the categories, the summaries, the neighbouring days with
    the papers' last change, and the day's rising papers (reader.pages.rising_gains: the two
    latest popularity refresh days, then the gains if there are two). A day has ~1,000 papers,
    so they are read as DayPaper tuples with only the fields the page shows (abstracts are on the
    papers' own pages).
    """
    papers = [DayPaper(*row) for row in digest.papers.values_list(*DayPaper._fields)]
    by_category = defaultdict(list)
    for paper in papers:
        by_category[paper.category_id].append(paper)
    by_ref = {paper.ref: paper for paper in papers}
    summaries = in_language(digest.summaries.select_related("category"), language)
    briefs = paper_briefs(PaperBrief.objects.filter(paper__digests=digest), language)

    # The chart names categories by id: an editor's new slug or name shows at once.
    categories = {c.pk: c for c in Category.objects.all()}
    charted = [categories[s["category"]] for s in digest.chart if s["category"] in categories]
    # Categories an editor moved papers into after the chart was drawn follow the charted ones,
    # so a correction shows at once; republishing redraws the chart.
    shown = {category.pk for category in charted}
    moved_in = [c for c in categories.values() if c.pk in by_category and c.pk not in shown]
    sections = []
    for category in charted + sorted(moved_in, key=lambda c: (c.order, c.slug)):
        summary = summaries.get((digest.pk, category.pk))
        section_papers = by_category[category.pk]
        cited = Report.from_dict(summary.sections).cited_refs() if summary else set()
        refs = summary and imported_refs(summary)
        if refs is not None:  # an imported report lists its papers, in its own order
            section_papers = list({by_ref[r].pk: by_ref[r] for r in refs if r in by_ref}.values())
            cited = set(refs)
        sections.append(
            {
                "category": category,
                "name": category.display_name(language),
                "papers": section_papers,
                # Most popular first, as `papers` is ordered.
                "featured": [p for p in section_papers if p.ref in cited],
                "summary": summary and _summary_parts(summary, by_ref),
            }
        )
        sections[-1].update(_opening(sections[-1]))
    # Last-Modified moves with any edit the page shows: the day, its summaries, its papers (whose
    # timestamps the database compares, as reading ~2,000 of them costs more than the page's
    # queries). With both neighbouring days, in one query that SQLite (the demo) can run too.
    published = type(digest).objects.published()
    stamps = (
        type(digest)
        .objects.filter(pk=digest.pk)
        .values(
            previous_day=Subquery(
                published.filter(date__lt=digest.date).order_by("-date").values("date")[:1]
            ),
            next_day=Subquery(
                published.filter(date__gt=digest.date).order_by("date").values("date")[:1]
            ),
            # Moves are bulk updates: a moved paper's updated_at stays, its categorised_at moves.
            papers_changed=Subquery(
                Paper.objects.filter(digests=OuterRef("pk"))
                .annotate(changed=Greatest("updated_at", Coalesce("categorised_at", "updated_at")))
                .order_by("-changed")
                .values("changed")[:1]
            ),
        )
        .get()
    )
    updated = [digest.updated_at, *(s.updated_at for s in summaries.values())]
    updated += [stamps["papers_changed"]] if stamps["papers_changed"] else []
    return {
        "digest": digest,
        "sections": sections,
        "paper_count": len(papers),
        "briefs": briefs,
        "figure": chart.plotly_figure(
            digest.chart, language, {pk: c.slug for pk, c in categories.items()}
        ),
        "rising": rising_gains(Q(paper__digests=digest), RISING_SHOWN)[2],
        "previous_day": stamps["previous_day"],
        "next_day": stamps["next_day"],
        "last_modified": max(updated),
    }


def _opening(section: dict) -> dict:
    """What a category shows before anything is expanded: its first key findings, and the TL;DR
    cards of the most popular featured papers those findings do not cite (any papers when
    nothing is featured). The rest of the summary and every paper are in collapsed parts."""
    summary = section["summary"]
    findings = ((summary and summary.get("findings")) or [])[:FINDINGS_SHOWN]
    cited = {paper.pk for finding in findings for paper in finding["papers"]}
    pool = section["featured"] or section["papers"]
    return {
        "findings": findings,
        "cards": [paper for paper in pool if paper.pk not in cited][:CARDS_SHOWN],
    }


def _summary_parts(summary, by_ref: dict) -> dict:
    """The five sections with their headings; every line carries the papers it cites.

    An imported summary is free text: its Markdown, sanitised, instead of the five sections.
    """
    if summary.generator == IMPORTED:
        return {
            "language": summary.language,
            "generator": summary.generator,
            "html": summary_html(summary.body),
        }
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
        "findings": findings,
        "parts": [
            {"key": "themes", "title": titles["themes"], "items": _cited(report.themes, by_ref)},
            {"key": "trends", "title": titles["trends"], "items": _cited(report.trends, by_ref)},
            {"key": "findings", "title": titles["findings"], "items": findings},
            {"key": "impact", "title": titles["impact"], "items": _cited(report.impact, by_ref)},
            {"key": "outlook", "title": titles["outlook"], "items": _cited(report.outlook, by_ref)},
        ],
    }


def _cited(lines, by_ref: dict) -> list[dict]:
    """Lines that end with "[ref, ref]" lose that ending and link the papers instead."""
    items = []
    for line in lines:
        text, refs = split_citation(line)
        papers = [by_ref[ref] for ref in refs if ref in by_ref]
        items.append({"text": text if papers else line, "papers": papers})
    return items
