"""Real recorded days shipped in `data/days/<date>/` (see data/README.md): the offline demo source.

A day directory may hold `arxiv.jsonl` (the arXiv listing, one paper a line), `reference.json`
(the reference product's papers of that day) and `hf_daily.json` (a Hugging Face daily_papers
response, for popularity). Everything is parsed before anything is stored, so a corrupt file
changes nothing. The files are a recorded listing, so a bundled day is exact, never approximate.
"""

import datetime
import json
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from common.text import unwrap
from papers.sources import (
    Announcement,
    Listing,
    NoDataError,
    PaperRecord,
    SourceError,
    split_arxiv_id,
)
from papers.sources.hf_daily import DailyPaper, parse_daily_papers


@dataclass
class BundledDay:
    papers: list[PaperRecord]
    popularity: list[DailyPaper] = field(default_factory=list)

    def listing(self, day: datetime.date) -> Listing:
        """The files as arXiv's listing: a paper whose primary category is not one of ours was
        announced to our categories as a cross-list."""
        ours = set(settings.DIGEST_ARXIV_CATEGORIES)
        papers: dict[str, PaperRecord] = {}
        for record in self.papers:
            key = record.arxiv_id or record.abs_url
            if key not in papers or record.version > papers[key].version:
                papers[key] = record
        announcements = [
            Announcement(key, record.version, "cross" if _foreign(record, ours) else "new")
            for key, record in papers.items()
        ]
        return Listing(day, announcements, papers=papers)


def _foreign(record: PaperRecord, ours: set[str]) -> bool:
    return bool(record.primary_category) and record.primary_category not in ours


def available_days(data_dir: Path | None = None) -> list[datetime.date]:
    root = Path(data_dir or settings.DIGEST_DATA_DIR)
    days = []
    for child in sorted(root.iterdir()) if root.is_dir() else []:
        try:
            days.append(datetime.date.fromisoformat(child.name))
        except ValueError:
            continue
    return days


def load_day(day: datetime.date, data_dir: Path | None = None) -> BundledDay:
    directory = Path(data_dir or settings.DIGEST_DATA_DIR) / day.isoformat()
    listing, reference = directory / "arxiv.jsonl", directory / "reference.json"
    if not listing.is_file() and not reference.is_file():
        known = ", ".join(d.isoformat() for d in available_days(data_dir)) or "none"
        raise NoDataError(f"No data for {day.isoformat()}. Bundled days: {known}.")
    papers = []
    if listing.is_file():
        papers += _read_listing(listing)
    if reference.is_file():
        papers += _read_reference(reference)
    hf_daily = directory / "hf_daily.json"
    popularity = []
    if hf_daily.is_file():
        popularity = parse_daily_papers(hf_daily.read_bytes(), origin=str(hf_daily))
    return BundledDay(papers=papers, popularity=popularity)


def _read_listing(path: Path) -> list[PaperRecord]:
    papers = []
    with path.open(encoding="utf-8") as lines:
        try:
            for number, line in enumerate(lines, start=1):
                if line.strip():
                    papers.append(_listing_record(line, f"{path}:{number}"))
        except UnicodeDecodeError as exc:
            raise SourceError(f"{path}: not UTF-8 text ({exc})") from exc
    if not papers:
        raise SourceError(f"{path}: no papers in the file")
    return papers


def _listing_record(line: str, where: str) -> PaperRecord:
    try:
        row = json.loads(line)
        categories = [str(c) for c in row.get("categories") or []]
        return PaperRecord.from_arxiv(
            row["arxiv_id"],
            _required_text(row, "title"),
            abstract=unwrap(row.get("abstract")),
            authors=[str(a) for a in row.get("authors") or []],
            primary_category=row.get("primary_category") or (categories[0] if categories else ""),
            arxiv_categories=categories,
            published=_datetime(row.get("published")),
            comment=unwrap(row.get("comment")),
        )
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, SourceError) as exc:
        raise SourceError(f"{where}: malformed paper record ({exc})") from exc


def _read_reference(path: Path) -> list[PaperRecord]:
    try:
        rows = json.loads(path.read_bytes())["papers"]
    except (json.JSONDecodeError, UnicodeDecodeError, KeyError, TypeError) as exc:
        raise SourceError(f"{path}: malformed reference day ({exc!r})") from exc
    papers = []
    for number, row in enumerate(rows, start=1):
        try:
            papers.append(_reference_record(row))
        except (KeyError, TypeError, ValueError, SourceError) as exc:
            raise SourceError(f"{path}: paper {number} is malformed ({exc!r})") from exc
    return papers


def _reference_record(row: dict) -> PaperRecord:
    fields = {
        "abstract": unwrap(row.get("abstract")),
        "authors": [str(a) for a in row.get("authors") or []],
        "published": _datetime(row.get("published")),
    }
    if row.get("arxiv_id"):
        _, version = split_arxiv_id(row["url"])
        return PaperRecord.from_arxiv(
            row["arxiv_id"], row["title"], version=version, source="hf_daily", **fields
        )
    return PaperRecord(
        title=_required_text(row, "title"), abs_url=row["url"], source="deeplearn", **fields
    )


def _required_text(row: dict, key: str) -> str:
    value = unwrap(row[key])
    if not value:
        raise ValueError(f"empty {key}")
    return value


def _datetime(value: str | None) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None
