"""Writing a day's category summaries; an unchanged category is never rewritten."""

import hashlib
import json
from collections import defaultdict

from django.conf import settings
from django.db import transaction

from summaries import offline
from summaries.models import CategorySummary
from summaries.report import SummaryInput, render_markdown

OFFLINE_GENERATOR = "offline"
# Bump when the offline summariser's output changes, so stored summaries are rewritten.
OFFLINE_VERSION = 1


def summarise_digest(digest, language: str | None = None) -> dict[str, int]:
    """Write one summary per category that has papers in the digest, in `language`.

    Each category is its own transaction, so a failure keeps the categories already done.
    Summaries of categories that no longer have papers that day are removed.
    """
    language = language or settings.DIGEST_LANGUAGE
    by_category = defaultdict(list)
    for paper in digest.papers.select_related("category").order_by("pk"):
        if paper.category is None:
            raise ValueError(f"{paper} has no category yet: classify the day first.")
        by_category[paper.category].append(paper)

    existing = {s.category_id: s for s in digest.summaries.filter(language=language)}
    counts = {"categories": len(by_category), "written": 0, "unchanged": 0, "removed": 0}
    for category, papers in by_category.items():
        inputs = [SummaryInput(p.ref, p.title, p.abstract, p.upvotes) for p in papers]
        key = _input_key(inputs, language)
        summary = existing.get(category.pk)
        if summary is not None and summary.input_key == key:
            counts["unchanged"] += 1
            continue
        report = offline.summarise(
            inputs, language=language, featured_limit=settings.DIGEST_FEATURED_PAPERS
        )
        cited = report.cited_refs()
        with transaction.atomic():
            summary, _ = CategorySummary.objects.update_or_create(
                digest=digest,
                category=category,
                language=language,
                defaults={
                    "sections": report.to_dict(),
                    "body": render_markdown(report, language),
                    "paper_count": len(papers),
                    "generator": OFFLINE_GENERATOR,
                    "input_key": key,
                    "input_tokens": 0,
                    "output_tokens": 0,
                },
            )
            summary.papers.set([p for p in papers if p.ref in cited])
        counts["written"] += 1

    gone = digest.summaries.filter(language=language).exclude(category__in=list(by_category))
    counts["removed"] = gone.delete()[1].get("summaries.CategorySummary", 0)
    return counts


def _input_key(inputs: list[SummaryInput], language: str) -> str:
    """Everything the text depends on: generator and its version, language, and the papers."""
    material = {
        "generator": OFFLINE_GENERATOR,
        "version": OFFLINE_VERSION,
        "language": language,
        "featured": settings.DIGEST_FEATURED_PAPERS,
        "papers": sorted((i.ref, i.title, i.abstract, i.upvotes or 0) for i in inputs),
    }
    return hashlib.sha256(json.dumps(material, ensure_ascii=False).encode()).hexdigest()
