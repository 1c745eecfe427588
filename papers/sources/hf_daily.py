"""Hugging Face Daily Papers (`/api/daily_papers?date=`): popularity for papers we list."""

import json
from dataclasses import dataclass

from papers.sources import SourceError


@dataclass(frozen=True)
class DailyPaper:
    arxiv_id: str
    title: str
    upvotes: int
    comments: int


def parse_daily_papers(raw: bytes | str, origin: str = "Hugging Face response") -> list[DailyPaper]:
    """Parse a daily_papers response (a JSON list of {paper: {id, title, upvotes}, numComments})."""
    try:
        entries = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{origin}: not valid JSON ({exc})") from exc
    if not isinstance(entries, list):
        raise SourceError(f"{origin}: expected a JSON list of papers, got {type(entries).__name__}")
    papers = []
    for position, entry in enumerate(entries, start=1):
        try:
            paper = entry["paper"]
            papers.append(
                DailyPaper(
                    arxiv_id=str(paper["id"]),
                    title=" ".join(str(paper["title"]).split()),
                    upvotes=int(paper.get("upvotes") or 0),
                    comments=int(entry.get("numComments") or 0),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise SourceError(f"{origin}: entry {position} is malformed ({exc!r})") from exc
    return papers
