"""Storing papers: one upsert by arXiv id (or URL) for whatever a source reported.

A record never rolls a paper back to an older version, a changed title or abstract marks the
paper as revised (the stages that read them redo only that paper), and a record that does not
fit the table is refused alone, so one hostile paper costs the day that paper, not its upsert.
The ingest stage (digest/ingest.py) decides what to fetch and records the day's completeness.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone

from papers.models import Paper
from papers.sources import PaperRecord
from papers.sources.hf_daily import DailyPaper

log = logging.getLogger(__name__)

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
POPULARITY = ("upvotes", "hf_comments", "github_repo", "github_stars")
# arXiv caps an abstract at 1,920 characters; text ten times longer is not a paper's, and would
# overflow the search vector (1 MB) and fail the day's whole upsert.
MAX_TEXT = 20_000


@dataclass
class Stored:
    """What `store_papers` did."""

    papers: list[Paper] = field(default_factory=list)  # the rows this run wrote or checked
    created: int = 0
    updated: int = 0
    revised: int = 0
    unchanged: int = 0
    rejected: list[str] = field(default_factory=list)  # "<key>: why", records not stored


def store_papers(records: list[PaperRecord], announced_on: datetime.date) -> Stored:
    """Insert new papers, update those whose record changed, and return the rows in input order.

    A record with an older version than the stored row is ignored, so re-reading an old
    listing never rolls a paper back. A changed title or abstract sets `revised_at`, so the
    stages that read them can redo only that paper. A handful of queries whatever the size.
    A record that does not fit the table (see `_unfit`) is left out and named in `rejected`, so
    one hostile paper costs the day that paper, not its whole upsert.
    """
    result, fit = Stored(), []
    for record in _dedupe(records):
        _strip_nul(record)
        if problem := _unfit(record):
            key = record.arxiv_id or record.abs_url[:100]
            result.rejected.append(f"{key}: {problem}")
            log.warning("paper %s not stored: %s", key, problem)
        else:
            fit.append(record)
    records = fit
    ids = [r.arxiv_id for r in records if r.arxiv_id]
    urls = [r.abs_url for r in records if not r.arxiv_id]
    by_id = Paper.objects.in_bulk(ids, field_name="arxiv_id") if ids else {}
    by_url = (
        {p.abs_url: p for p in Paper.objects.filter(arxiv_id__isnull=True, abs_url__in=urls)}
        if urls
        else {}
    )
    new, changed, now = [], [], timezone.now()
    for record in records:
        paper = by_id.get(record.arxiv_id) if record.arxiv_id else by_url.get(record.abs_url)
        if paper is None:
            paper = Paper(announced_on=announced_on, source=record.source, **_values(record))
            new.append(paper)
        elif record.version >= paper.version and (changes := _apply(paper, record)):
            if {"title", "abstract"} & changes:
                paper.revised_at = now
                result.revised += 1
            paper.updated_at = now
            changed.append(paper)
        else:
            result.unchanged += 1
        result.papers.append(paper)
    Paper.objects.insert(new)
    Paper.objects.bulk_update(changed, [*UPDATABLE, "revised_at", "updated_at"], batch_size=500)
    result.created, result.updated = len(new), len(changed)
    return result


def apply_popularity(popularity: list[DailyPaper], held: dict[str, tuple[int, int]]) -> int:
    """Record Hugging Face's figures on the papers we hold; returns how many they cover."""
    rows = [
        Paper(
            pk=held[p.arxiv_id][0],
            upvotes=p.upvotes,
            hf_comments=p.comments,
            github_repo=p.github_repo,
            github_stars=p.github_stars,
        )
        for p in popularity
        if p.arxiv_id in held
    ]
    Paper.objects.bulk_update(rows, POPULARITY)
    return len(rows)


def held(keys: list[str]) -> dict[str, tuple[int, int]]:
    """(pk, version) of the stored papers among `keys` (arXiv ids, or URLs for papers without)."""
    urls = [key for key in keys if key.startswith("http")]
    rows = Paper.objects.filter(
        Q(arxiv_id__in=set(keys) - set(urls)) | Q(arxiv_id__isnull=True, abs_url__in=urls)
    ).values_list("arxiv_id", "abs_url", "pk", "version")
    return {arxiv_id or abs_url: (pk, version) for arxiv_id, abs_url, pk, version in rows}


def key(paper: Paper) -> str:
    return paper.arxiv_id or paper.abs_url


def _dedupe(records: list[PaperRecord]) -> list[PaperRecord]:
    """A cross-listed paper appears once per listing; keep its newest version once."""
    unique: dict[str, PaperRecord] = {}
    for record in records:
        key = record.arxiv_id or record.abs_url
        if key not in unique or record.version > unique[key].version:
            unique[key] = record
    return list(unique.values())


def _strip_nul(record: PaperRecord) -> None:
    """PostgreSQL refuses NUL characters in text; no real paper has one."""
    for name, value in vars(record).items():
        if isinstance(value, str):
            setattr(record, name, value.replace("\x00", ""))
        elif isinstance(value, list):
            setattr(record, name, [str(item).replace("\x00", "") for item in value])


def _unfit(record: PaperRecord) -> str:
    """Why the record cannot be stored as it is, or ''."""
    if not record.title.strip():
        return "no title"
    for name in ("title", "abstract", "comment", "journal_ref"):
        if len(getattr(record, name)) > MAX_TEXT:
            return f"{name} of {len(getattr(record, name)):,} characters (at most {MAX_TEXT:,})"
    for name in ("primary_category", "doi", "abs_url", "pdf_url"):
        limit = Paper._meta.get_field(name).max_length
        if len(getattr(record, name)) > limit:
            return f"{name} longer than {limit} characters"
    return ""


def _values(record: PaperRecord) -> dict:
    return {name: getattr(record, name) for name in ("arxiv_id", *UPDATABLE)}


def _apply(paper: Paper, record: PaperRecord) -> set[str]:
    """Copy the record's fields that differ onto the paper; returns their names."""
    changes = set()
    for name in UPDATABLE:
        value = getattr(record, name)
        if getattr(paper, name) != value:
            setattr(paper, name, value)
            changes.add(name)
    return changes
