"""Assigning categories to papers: the local model (or the rules when no model artefact is
present) for machine decisions, and editors' decisions, which no automated re-run overwrites."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.utils import timezone

import llm
from papers.classifiers import claude, rules
from papers.models import Category, Paper
from papers.signals import papers_moved

if TYPE_CHECKING:  # the model brings numpy, SciPy and scikit-learn: loaded on first use
    from papers.classifiers.local import Model

FALLBACK_SLUG = Category.FALLBACK
_DECISION_FIELDS = ["category", "category_method", "category_confidence", "categorised_at"]
_DECISION_FIELDS += ["category_runner_up", "category_runner_up_confidence"]


class TaxonomyError(Exception):
    """The taxonomy lacks the category a classifier needs to fall back on."""


def assign_categories(papers, *, client: llm.Claude | None = None) -> dict:
    """Classify every paper of the queryset that no editor has decided; returns counts.

    The local model decides first; with a Claude client (made from ANTHROPIC_API_KEY when not
    given) Claude decides every paper (DIGEST_CLAUDE_CLASSIFY=all, the default) or those the
    model is unsure of (`unsure`), and the model's decision stands wherever Claude fails
    (papers/classifiers/claude.py). Nothing is
    locked while they decide, which can take minutes with Claude; the decisions are then written
    with the rows locked, to the papers still machine-assignable, so an editor saving at the
    same moment waits and then wins instead of being overwritten.
    """
    categories = {c.slug: c for c in Category.objects.active()}
    if FALLBACK_SLUG not in categories:
        raise TaxonomyError(f"The taxonomy needs an active '{FALLBACK_SLUG}' category.")
    from papers.classifiers import local

    model = local.current()
    if client is None and settings.ANTHROPIC_API_KEY:
        client = llm.Claude()
    rows = list(
        papers.machine_assignable().only(
            "id",
            "arxiv_id",
            "abs_url",
            "title",
            "abstract",
            "arxiv_categories",
            "category",
            "category_method",
            "categorised_at",
            "revised_at",
            "category_confidence",
        )
    )
    decisions, chances = decide(rows, categories, model)
    first = decisions
    decisions, asked = claude.reconsider(rows, decisions, categories, client, chances)
    seconds = [_runner_up(*pair, categories) for pair in zip(decisions, first, strict=True)]
    by_pk = {paper.pk: decision for paper, decision in zip(rows, decisions, strict=True)}
    with transaction.atomic():
        locked = (
            papers.machine_assignable()
            .filter(pk__in=by_pk)
            .select_for_update(of=("self",))
            .only("id", *(f for f in _DECISION_FIELDS if f != "categorised_at"))
        )
        second = {paper.pk: runner_up for paper, runner_up in zip(rows, seconds, strict=True)}
        changed, now = [], timezone.now()
        for paper in locked:
            decision = by_pk[paper.pk]
            category = categories.get(decision.slug, categories[FALLBACK_SLUG])
            new = (category.pk, decision.method, round(decision.confidence, 4), *second[paper.pk])
            if _stored(paper) != new:
                (
                    paper.category_id,
                    paper.category_method,
                    paper.category_confidence,
                    paper.category_runner_up_id,
                    paper.category_runner_up_confidence,
                ) = new
                paper.categorised_at = now
                changed.append(paper)
        Paper.objects.bulk_update(changed, _DECISION_FIELDS, batch_size=500)
    return {
        "classified": len(rows),
        "changed": len(changed),
        "locked": papers.filter(category_method__in=Paper.LOCKED_METHODS).count(),
        "review": sum(d.confidence < settings.DIGEST_REVIEW_BELOW for d in decisions),
        "classifier": f"model v{model.version}" if model else "rules",
        **asked,
    }


def decide(
    papers, categories: dict, model: Model | None
) -> tuple[list[rules.Decision], list[dict[str, float]] | None]:
    """One decision per paper: the model's, restricted to the active categories, with its
    probability of each category per paper; else the rules' and None (the rules know only the
    default taxonomy; assign_categories maps the rest to 'other')."""
    texts = [(p.title, p.abstract, p.arxiv_categories or ()) for p in papers]
    if model is not None:
        from papers.classifiers.local import ModelError

        try:
            return model.predict_with_chances(texts, allowed=categories)
        except ModelError:
            pass  # every category the model knows was retired: the rules still decide
    return [rules.classify(*text) for text in texts], None


def _runner_up(decision, first, categories: dict) -> tuple[int | None, float | None]:
    """The second choice stored with a machine decision, for the review queue: the first pass's
    choice where Claude chose otherwise, else the first pass's own runner-up (active only)."""
    slug, chance = (
        (first.slug, first.confidence)
        if first.slug != decision.slug
        else (first.runner_up, first.runner_up_confidence)
    )
    if slug not in categories or slug == decision.slug:
        return None, None
    return categories[slug].pk, None if chance is None else round(chance, 4)


def _stored(paper) -> tuple:
    return (
        paper.category_id,
        paper.category_method,
        paper.category_confidence,
        paper.category_runner_up_id,
        paper.category_runner_up_confidence,
    )


def review_queue(papers):
    """Machine decisions an editor should look at."""
    return papers.machine_assignable().filter(category_confidence__lt=settings.DIGEST_REVIEW_BELOW)


def assign_by_editor(papers, category: Category) -> list[Paper]:
    """Make `category` the editor's decision for each paper, locked against every automated
    re-run (confirming a machine decision locks it too). The moves are signalled
    (`papers_moved`) inside the transaction, so the summaries of the categories a paper left
    and joined are marked for regeneration with them. Returns the papers whose category
    changed."""
    with transaction.atomic():
        rows = list(papers.select_for_update(of=("self",)).select_related("category"))
        moved = []
        for paper in rows:
            previous = paper.category
            paper.assign_by_editor(category)
            if previous != category:
                moved.append((paper, previous))
        Paper.objects.bulk_update(rows, _DECISION_FIELDS)
        if moved:
            papers_moved.send(sender=Paper, moves=moved)
    return [paper for paper, _ in moved]
