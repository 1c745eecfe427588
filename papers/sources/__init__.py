"""Where papers come from. Each source parses its service's own format into `PaperRecord`s.

Also what the sources share: the listing of a day (`Listing`), their errors (which say whether
retrying can help), and the retry policy of their HTTP calls (`http_backoff`).
"""

import datetime as dt
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings

from common.retry import Backoff
from common.text import ARXIV_ID, unwrap


class SourceError(Exception):
    """A source's data is missing or malformed; the message says where."""

    retryable = False  # read by the pipeline: running the stage again would only repeat this


class NoDataError(SourceError):
    """The source has nothing for the requested day."""


class TransientError(SourceError):
    """A fault that may pass: a 429 or 5xx, a timeout, a truncated or empty response.

    `retry_after` is the wait the service asked for (Retry-After), in seconds.
    """

    retryable = True

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """'2411.07133v2' or 'http://arxiv.org/abs/2411.07133v2' -> ('2411.07133', 2)."""
    match = ARXIV_ID.search(text.strip())
    if not match:
        raise SourceError(f"not an arXiv id: {text!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


@dataclass
class PaperRecord:
    """A paper as a source reports it, normalised; `store_papers` turns records into rows."""

    title: str
    abs_url: str
    arxiv_id: str | None = None
    version: int = 1
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    primary_category: str = ""
    arxiv_categories: list[str] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    comment: str = ""
    journal_ref: str = ""
    doi: str = ""
    pdf_url: str = ""
    source: str = "arxiv"

    @classmethod
    def from_arxiv(cls, arxiv_id: str, title: str, **fields) -> "PaperRecord":
        """A record for an arXiv paper, with its canonical abstract and PDF links."""
        paper_id, version = split_arxiv_id(arxiv_id)
        version = fields.pop("version", None) or version or 1
        return cls(
            arxiv_id=paper_id,
            version=version,
            title=unwrap(title),
            abs_url=f"https://arxiv.org/abs/{paper_id}",
            pdf_url=f"https://arxiv.org/pdf/{paper_id}",
            **fields,
        )


KINDS = ("new", "cross", "replace")


def quiet(message: str) -> None:
    """The progress callback that reports nothing."""


@dataclass(frozen=True)
class Announcement:
    """One paper of a day's listing: `key` is its arXiv id without version (or its URL when it
    has none), `kind` one of KINDS."""

    key: str
    version: int
    kind: str


@dataclass
class Listing:
    """What arXiv announced on `day`, a paper once however many categories list it.

    `papers` holds the records a source read along with the listing (bundled files, a backfill
    search); the rest are fetched by id. `approximate` marks a listing rebuilt from submission
    dates rather than read from arXiv's announcement.
    """

    day: dt.date
    announcements: list[Announcement]
    papers: dict[str, PaperRecord] = field(default_factory=dict)
    approximate: bool = False

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(KINDS, 0)
        for announcement in self.announcements:
            counts[announcement.kind] += 1
        return counts


def merge_announcements(announcements) -> list[Announcement]:
    """A paper listed by several categories counts once: as new if any category announced it as
    new, else as a cross-list, else as a replacement; at its highest version."""
    rank = {kind: position for position, kind in enumerate(KINDS)}
    merged: dict[str, Announcement] = {}
    for item in announcements:
        seen = merged.get(item.key)
        if seen is None:
            merged[item.key] = item
        else:
            kind = min(seen.kind, item.kind, key=rank.__getitem__)
            merged[item.key] = Announcement(item.key, max(seen.version, item.version), kind)
    return list(merged.values())


def http_backoff(**overrides) -> Backoff:
    """The sources' retry policy (DIGEST_HTTP_*): a Retry-After beyond the cap ends the tries."""
    options = {
        "retries": settings.DIGEST_HTTP_RETRIES,
        "base": settings.DIGEST_HTTP_BACKOFF,
        "cap": settings.DIGEST_HTTP_MAX_WAIT,
        "gave_up": _gave_up,
    }
    return Backoff(**options | overrides)


def _gave_up(what: str, exc: Exception, tries: int) -> TransientError:
    return TransientError(f"{what}: gave up after {tries} tries: {exc}")
