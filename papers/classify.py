"""Assigning categories to papers; an editor's (or imported) decision is never overwritten here."""

from django.db import transaction
from django.utils import timezone

from papers.classifiers import rules
from papers.models import Category, Paper

FALLBACK_SLUG = "other"


class TaxonomyError(Exception):
    """The taxonomy lacks the category a classifier needs to fall back on."""


def classify_papers(papers) -> dict[str, int]:
    """Classify every paper of the queryset that no editor has decided; returns counts.

    The rows are locked while they are classified, so an editor saving at the same moment
    waits and then wins instead of being overwritten.
    """
    categories = {c.slug: c for c in Category.objects.active()}
    if FALLBACK_SLUG not in categories:
        raise TaxonomyError(f"The taxonomy needs an active '{FALLBACK_SLUG}' category.")
    counts = {"classified": 0, "changed": 0, "locked": 0}
    with transaction.atomic():
        rows = list(
            papers.machine_assignable()
            .select_for_update(of=("self",))
            .only(
                "id",
                "title",
                "abstract",
                "arxiv_categories",
                "category",
                "category_method",
                "category_confidence",
            )
        )
        changed, now = [], timezone.now()
        for paper in rows:
            decision = rules.classify(paper.title, paper.abstract, paper.arxiv_categories)
            category = categories.get(decision.slug, categories[FALLBACK_SLUG])
            new = (category.pk, decision.method, round(decision.confidence, 4))
            if (paper.category_id, paper.category_method, paper.category_confidence) != new:
                paper.category_id, paper.category_method, paper.category_confidence = new
                paper.categorised_at = now
                changed.append(paper)
        fields = ["category", "category_method", "category_confidence", "categorised_at"]
        Paper.objects.bulk_update(changed, fields, batch_size=500)
    counts["classified"] = len(rows)
    counts["changed"] = len(changed)
    counts["locked"] = papers.filter(category_method__in=Paper.LOCKED_METHODS).count()
    return counts
