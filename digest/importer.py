"""Importing the reference product's daily reports (digest/report_format.py) as published days.

Parsing happens before anything is written, so a malformed report changes nothing. The papers
of a report are created or brought to its version with the report's category; this is not
papers.store's upsert on purpose: a report knows a title and a link, and must never overwrite
what arXiv told us of a paper (its abstract, authors, dates) with that.
"""

import datetime
import hashlib
import json
from collections import namedtuple

from django.db import transaction
from django.utils import timezone

from digest import chart
from digest.models import DailyDigest
from digest.report_format import Report, ReportError, Section, Source
from digest.report_labels import CategoryMap
from papers.models import Category, Paper
from summaries.models import CategorySummary
from summaries.report import Report as FivePartReport

IMPORTED = Paper.Method.IMPORTED.value  # also the generator of imported summaries
LANGUAGE = "ko"  # the reference reports are Korean
NO_PARTS = FivePartReport((), (), (), (), ()).to_dict()
DEEPLEARN_HOST = "https://deeplearn.org/"


def imported_refs(summary) -> list[str] | None:
    """The refs an imported summary lists as its sources, in the report's order; else None."""
    if summary.generator != IMPORTED:
        return None
    return summary.sections.get("imported", {}).get("refs")


_Listed = namedtuple("_Listed", "category title")  # what `chart.distribution` counts


def import_report(report: Report, categories: CategoryMap, replace: bool = False) -> dict:
    """Store one parsed report as a published day; re-importing the same report changes nothing.

    Sections whose labels map to the same category are merged (their texts joined by a blank
    line). Each paper's category is the report's, unless an editor has decided it.
    """
    if not report.sections:
        return {"sections": 0}
    merged: dict[Category, list[Section]] = {}
    for section in report.sections:
        merged.setdefault(categories[section.label], []).append(section)

    with transaction.atomic():
        digest = DailyDigest.objects.select_for_update().filter(date=report.date).first()
        if digest and not replace and not digest.summaries.filter(generator=IMPORTED).exists():
            raise ReportError(
                f"{report.name}: {report.date.isoformat()} already has a digest built by the "
                "pipeline; pass --replace to overwrite it with the report."
            )
        papers, created = _upsert_papers(report, merged)
        digest = digest or DailyDigest(date=report.date)
        written = _store_digest(digest, report, merged, papers)
    return {
        "sections": len(report.sections),
        "categories": len(merged),
        "papers": len(papers),
        "new papers": created,
        "summaries written": written,
        "filed under Other": sum(not categories.is_known(s.label) for s in report.sections),
    }


def _upsert_papers(report: Report, merged: dict) -> tuple[dict[str, Paper], int]:
    """The report's papers by ref, created or brought up to date: version, imported category."""
    first_category = {}
    sources = {}
    for category, sections in merged.items():
        for source in (s for section in sections for s in section.sources):
            first_category.setdefault(source.ref, category)
            sources.setdefault(source.ref, source)
    ids = [ref for ref, source in sources.items() if source.arxiv]
    urls = [ref for ref, source in sources.items() if not source.arxiv]
    existing = {p.ref: p for p in Paper.objects.filter(arxiv_id__in=ids)}
    existing |= {p.ref: p for p in Paper.objects.filter(arxiv_id__isnull=True, abs_url__in=urls)}

    now, created, papers = timezone.now(), 0, {}
    for ref, source in sources.items():
        category = first_category[ref]
        paper = existing.get(ref)
        if paper is None:
            paper = Paper(title=source.title, announced_on=report.date, **_identity(source))
            created += 1
        changed = paper.pk is None
        if source.arxiv and source.arxiv[1] > paper.version:
            paper.version, changed = source.arxiv[1], True
        if paper.category_method != Paper.Method.EDITOR and (
            paper.category_id != category.pk or paper.category_method != IMPORTED
        ):
            paper.category, paper.category_method = category, IMPORTED
            paper.category_confidence, paper.categorised_at = None, now
            changed = True
        if changed:
            paper.save()
        papers[ref] = paper
    return papers, created


def _identity(source: Source) -> dict:
    if source.arxiv:
        arxiv_id, version = source.arxiv
        return {
            "arxiv_id": arxiv_id,
            "version": version,
            "abs_url": f"https://arxiv.org/abs/{arxiv_id}",
            "pdf_url": f"https://arxiv.org/pdf/{arxiv_id}",
            "source": Paper.Source.ARXIV,
        }
    deeplearn = source.url.startswith(DEEPLEARN_HOST)
    return {
        "abs_url": source.url,
        "source": Paper.Source.DEEPLEARN if deeplearn else Paper.Source.ARXIV,
    }


def _store_digest(digest: DailyDigest, report: Report, merged: dict, papers: dict) -> int:
    """Publish the day, sections in the report's order; returns the number of summaries written."""
    listed = [
        _Listed(category, papers[s.ref].title)
        for category, sections in merged.items()
        for section in sections
        for s in section.sources
    ]
    position = {category.pk: n for n, category in enumerate(merged)}
    slices = sorted(chart.distribution(listed), key=lambda s: position[s["category"]])
    # The reference product published each report on its date; keep that as the publication time.
    published_at = digest.published_at or timezone.make_aware(
        datetime.datetime.combine(report.date, datetime.time())
    )
    if digest.pk is None or (digest.chart, digest.status, digest.published_at) != (
        slices,
        DailyDigest.Status.PUBLISHED,
        published_at,
    ):
        digest.chart, digest.status, digest.published_at = (
            slices,
            DailyDigest.Status.PUBLISHED,
            published_at,
        )
        digest.save()
    digest.papers.set(papers.values())

    existing = {s.category_id: s for s in digest.summaries.filter(language=LANGUAGE)}
    written, kept = 0, []
    for category, sections in merged.items():
        refs = [s.ref for section in sections for s in section.sources]
        body = "\n\n".join(section.body for section in sections)
        # Free text has no five-part structure: those parts stay empty, so code that reads them
        # still works, and what the text came from is kept beside them.
        stored = {
            **NO_PARTS,
            "imported": {
                "report": report.name,
                "headings": [s.heading for s in sections],
                "refs": refs,
            },
        }
        key = hashlib.sha256(json.dumps([body, stored], ensure_ascii=False).encode()).hexdigest()
        summary = existing.get(category.pk)
        if summary is None or summary.input_key != key or summary.generator != IMPORTED:
            summary, _ = CategorySummary.objects.update_or_create(
                digest=digest,
                category=category,
                language=LANGUAGE,
                defaults={
                    "sections": stored,
                    "body": body,
                    "paper_count": len(refs),
                    "generator": IMPORTED,
                    # The historical record: no summarise run or regeneration rewrites it.
                    "locked": True,
                    "input_key": key,
                    "input_tokens": 0,
                    "output_tokens": 0,
                },
            )
            summary.papers.set([papers[ref] for ref in dict.fromkeys(refs)])
            written += 1
        kept.append(summary.pk)
    digest.summaries.exclude(pk__in=kept).delete()
    return written
