"""Storing a day's papers: an upsert keyed by arXiv id (or URL), a handful of queries per day."""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from papers.models import Paper
from papers.sources import PaperRecord, bundled

# Fields a newer version of a paper may change; `announced_on` keeps the first announcement.
UPDATABLE = (
    "version",
    "title",
    "abstract",
    "authors",
    "primary_category",
    "arxiv_categories",
    "published",
    "updated",
    "comment",
    "journal_ref",
    "doi",
    "abs_url",
    "pdf_url",
)


@dataclass
class IngestResult:
    papers: list[Paper] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    with_upvotes: int = 0

    def counts(self) -> dict[str, int]:
        return {
            "listed": len(self.papers),
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "with_upvotes": self.with_upvotes,
        }


def ingest_day(day: datetime.date) -> IngestResult:
    """Read the day from its source and store it; raises SourceError before writing anything."""
    source = bundled.load_day(day)
    with transaction.atomic():
        result = store_papers(source.papers, announced_on=day)
        result.with_upvotes = apply_upvotes(result.papers, source.upvotes)
    return result


def store_papers(records: list[PaperRecord], announced_on: datetime.date) -> IngestResult:
    """Insert new papers, update those whose record changed, and return the rows in input order.

    A record with an older version than the stored row is ignored, so re-reading an old
    listing never rolls a paper back.
    """
    records = _dedupe(records)
    by_id = Paper.objects.in_bulk(
        [r.arxiv_id for r in records if r.arxiv_id], field_name="arxiv_id"
    )
    by_url = {
        p.abs_url: p
        for p in Paper.objects.filter(
            arxiv_id__isnull=True, abs_url__in=[r.abs_url for r in records if not r.arxiv_id]
        )
    }
    result, new, changed, now = IngestResult(), [], [], timezone.now()
    for record in records:
        paper = by_id.get(record.arxiv_id) if record.arxiv_id else by_url.get(record.abs_url)
        if paper is None:
            paper = Paper(announced_on=announced_on, source=record.source, **_values(record))
            new.append(paper)
        elif record.version >= paper.version and _apply(paper, record):
            paper.updated_at = now
            changed.append(paper)
        else:
            result.unchanged += 1
        result.papers.append(paper)
    Paper.objects.bulk_create(new, batch_size=500)
    Paper.objects.bulk_update(changed, [*UPDATABLE, "updated_at"], batch_size=500)
    result.created, result.updated = len(new), len(changed)
    return result


def apply_upvotes(papers: list[Paper], upvotes: dict[str, int]) -> int:
    """Record Hugging Face upvotes for the listed papers we have; returns how many had any."""
    changed = [p for p in papers if p.arxiv_id in upvotes and p.upvotes != upvotes[p.arxiv_id]]
    for paper in changed:
        paper.upvotes = upvotes[paper.arxiv_id]
    Paper.objects.bulk_update(changed, ["upvotes"], batch_size=500)
    return sum(1 for p in papers if p.arxiv_id in upvotes)


def _dedupe(records: list[PaperRecord]) -> list[PaperRecord]:
    """A cross-listed paper appears once per listing; keep its newest version once."""
    unique: dict[str, PaperRecord] = {}
    for record in records:
        key = record.arxiv_id or record.abs_url
        if key not in unique or record.version > unique[key].version:
            unique[key] = record
    return list(unique.values())


def _values(record: PaperRecord) -> dict:
    return {name: getattr(record, name) for name in ("arxiv_id", *UPDATABLE)}


def _apply(paper: Paper, record: PaperRecord) -> bool:
    changed = False
    for name in UPDATABLE:
        value = getattr(record, name)
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changed = True
    return changed
