"""Where papers come from. Each source parses its service's own format into `PaperRecord`s."""

import re
from dataclasses import dataclass, field
from datetime import datetime

ARXIV_ID = re.compile(
    r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z\-]*(?:\.[A-Z]{2})?/\d{7})(?:v(?P<version>\d+))?$"
)


class SourceError(Exception):
    """A source's data is missing or malformed; the message says where."""


class NoDataError(SourceError):
    """The source has nothing for the requested day."""


def split_arxiv_id(text: str) -> tuple[str, int | None]:
    """'2411.07133v2' or 'http://arxiv.org/abs/2411.07133v2' -> ('2411.07133', 2)."""
    match = ARXIV_ID.search(text.strip())
    if not match:
        raise SourceError(f"not an arXiv id: {text!r}")
    version = match.group("version")
    return match.group("id"), int(version) if version else None


def clean_text(text: str | None) -> str:
    """Undo arXiv's hard wrapping: single newlines become spaces, paragraph breaks stay."""
    if not text:
        return ""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


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
            title=clean_text(title),
            abs_url=f"https://arxiv.org/abs/{paper_id}",
            pdf_url=f"https://arxiv.org/pdf/{paper_id}",
            **fields,
        )
