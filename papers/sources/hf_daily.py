"""Hugging Face Daily Papers (`/api/daily_papers?date=`): popularity of the papers it lists.

The only module that talks to Hugging Face. Both response schemas are read: the 2024 one
(upvotes, numComments) and the current one, which adds the paper's GitHub repository and stars.
"""

import datetime
import functools
import json
from dataclasses import dataclass

import httpx
from django.conf import settings

from common.retry import Backoff, parse_retry_after
from papers.sources import (
    SourceError,
    TransientError,
    http_backoff,
    split_arxiv_id,
)

URL = "https://huggingface.co/api/daily_papers"
MAX_COUNT = 2**31 - 1  # the columns' range: a larger or negative figure is not a real one


@dataclass(frozen=True)
class DailyPaper:
    arxiv_id: str
    title: str
    upvotes: int
    comments: int
    github_repo: str = ""
    github_stars: int | None = None


def parse_daily_papers(raw: bytes | str, origin: str = "Hugging Face response") -> list[DailyPaper]:
    """Parse a daily_papers response (a JSON list of {paper: {id, title, upvotes}, numComments})."""
    try:
        entries = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise SourceError(f"{origin}: not valid JSON ({exc})") from exc
    if not isinstance(entries, list):
        raise SourceError(f"{origin}: expected a JSON list of papers, got {type(entries).__name__}")
    papers = []
    for position, entry in enumerate(entries, start=1):
        try:
            paper = entry["paper"]
            stars = paper.get("githubStars")
            repo = paper.get("githubRepo") or ""
            if repo and not (
                repo.startswith(("https://", "http://")) and len(repo) <= 500 and "\x00" not in repo
            ):
                raise ValueError(f"githubRepo {repo[:60]!r} is not a web address")
            papers.append(
                DailyPaper(
                    arxiv_id=split_arxiv_id(str(paper["id"]))[0],
                    title=" ".join(str(paper["title"]).split()),
                    upvotes=_count(paper.get("upvotes")),
                    comments=_count(entry.get("numComments")),
                    github_repo=repo,
                    github_stars=None if stars is None else _count(stars),
                )
            )
        except (KeyError, TypeError, ValueError, OverflowError, AttributeError, SourceError) as exc:
            raise SourceError(f"{origin}: entry {position} is malformed ({exc!r})") from exc
    return papers


def _count(value) -> int:
    count = int(value or 0)
    if not 0 <= count <= MAX_COUNT:
        raise ValueError(f"count {count} out of range")
    return count


class DailyPapers:
    """The daily_papers API; `transport` swaps the HTTP transport (tests)."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        backoff: Backoff,
        transport: httpx.BaseTransport | None = None,
    ):
        self.headers = {"User-Agent": user_agent}
        self.timeout, self.backoff, self.transport = timeout, backoff, transport

    @classmethod
    def from_settings(cls, **overrides) -> "DailyPapers":
        options = {
            "user_agent": settings.DIGEST_USER_AGENT,
            "timeout": settings.DIGEST_HTTP_TIMEOUT,
            "backoff": http_backoff(),
        }
        return cls(**options | overrides)

    def fetch(self, day: datetime.date) -> list[DailyPaper]:
        """The papers Hugging Face lists on its page of `day`, with their popularity."""
        with httpx.Client(
            transport=self.transport, timeout=self.timeout, headers=self.headers
        ) as client:
            fetch = functools.partial(self._get, client, day)
            return self.backoff.call(fetch, f"Hugging Face daily papers of {day.isoformat()}")

    @staticmethod
    def _get(client: httpx.Client, day: datetime.date) -> list[DailyPaper]:
        try:
            response = client.get(URL, params={"date": day.isoformat()})
        except httpx.TimeoutException as exc:
            raise TransientError(f"no answer in time ({exc!r})") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"connection failed ({exc!r})") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            raise TransientError(f"HTTP {response.status_code} ({response.url})", retry_after)
        if response.status_code != 200:
            raise SourceError(f"HTTP {response.status_code} ({response.url})")
        try:
            return parse_daily_papers(response.content, origin=str(response.url))
        except SourceError as exc:  # a cut-off body: asking again usually helps
            raise TransientError(str(exc)) from exc
