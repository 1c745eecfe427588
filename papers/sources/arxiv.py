"""arXiv: which papers a day announced, and their metadata. The only module that talks to arXiv.

The day's announcement comes from the rss.arxiv.org listing of each configured category (its
`pubDate` is the announcement date, each item's `arxiv:announce_type` says new, cross or
replace); the metadata from the export API through the `arxiv` package, by batches of ids. A
past day whose listing is gone is rebuilt from an API search over its submission window, and
marked approximate.

Politeness and faults are handled here, not by the `arxiv` client (its pacing sleeps for real and
its retries neither back off nor read Retry-After): every request goes through `_Session`, which
waits out arXiv's interval, names us in the User-Agent, bounds the time (the `arxiv` client sets
no timeout) and refuses a response that cannot be trusted before it is parsed: a 429 or 5xx,
arXiv's "Rate exceeded." page served with 200, a truncated document. `Backoff` retries those.
"""

import datetime
import functools
import re
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree
from xml.parsers import expat

import arxiv
import requests
from django.conf import settings

from common.retry import Backoff, parse_retry_after
from common.text import unwrap
from papers import arxiv_calendar
from papers.sources import (
    Announcement,
    Listing,
    PaperRecord,
    SourceError,
    TransientError,
    http_backoff,
    merge_announcements,
    quiet,
    split_arxiv_id,
)

LISTING_URL = "https://rss.arxiv.org/rss/{category}"
BATCH = 100  # ids per API request; also the page size of searches
ARXIV_NS = "{http://arxiv.org/schemas/atom}"
KINDS = {"new": "new", "cross": "cross", "replace": "replace", "replace-cross": "replace"}
TOTAL_RESULTS = re.compile(rb"<opensearch:totalResults[^>]*>\s*(\d+)\s*<")


class Throttle:
    """At most one request every `interval` seconds."""

    def __init__(self, interval: float, clock=time.monotonic, sleep=time.sleep):
        self.interval, self.clock, self.sleep = interval, clock, sleep
        self.last: float | None = None

    def wait(self) -> None:
        if self.last is not None:
            pause = self.last + self.interval - self.clock()
            if pause > 0:
                self.sleep(pause)
        self.last = self.clock()


class _Session(requests.Session):
    """The transport of every arXiv request: paced, identified, time-bounded, checked."""

    def __init__(self, user_agent: str, timeout: float, throttle: Throttle):
        super().__init__()
        self.user_agent, self.timeout, self.throttle = user_agent, timeout, throttle
        self.total_results: int | None = None  # of the last API response

    def request(self, method, url, **kwargs):
        # The `arxiv` client sends its own User-Agent with each request; ours replaces it.
        kwargs["headers"] = {**(kwargs.get("headers") or {}), "User-Agent": self.user_agent}
        kwargs["timeout"] = kwargs.get("timeout") or self.timeout
        self.throttle.wait()
        try:
            response = super().request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise TransientError(f"no answer within {self.timeout} s ({url})") from exc
        except requests.ConnectionError as exc:
            raise TransientError(f"connection failed ({url}): {exc}") from exc
        _check(response)
        match = TOTAL_RESULTS.search(response.content[:4096])
        self.total_results = int(match.group(1)) if match else None
        return response


def _check(response: requests.Response) -> None:
    """Raise unless the response is a well-formed XML document worth parsing."""
    where = response.url
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        wait = f", Retry-After {retry_after:.0f} s" if retry_after is not None else ""
        raise TransientError(f"HTTP {response.status_code}{wait} ({where})", retry_after)
    if response.status_code != 200:
        raise SourceError(f"HTTP {response.status_code} ({where}): {response.text[:200]}")
    body = response.content
    if not body.lstrip().startswith(b"<"):
        raise TransientError(f"not XML: {body[:60]!r} ({where})")  # "Rate exceeded."
    try:
        expat.ParserCreate().Parse(body, True)
    except expat.ExpatError as exc:
        raise TransientError(f"malformed XML, {exc} ({where})") from exc


class Arxiv:
    """A day's listing and papers from arXiv; `adapter` swaps the HTTP transport (tests)."""

    def __init__(
        self,
        categories: list[str],
        *,
        user_agent: str,
        timeout: float,
        interval: float,
        backoff: Backoff,
        clock: Callable[[], float] = time.monotonic,
        adapter: requests.adapters.BaseAdapter | None = None,
    ):
        self.categories = categories
        self.backoff = backoff
        self.session = _Session(user_agent, timeout, Throttle(interval, clock, backoff.sleep))
        if adapter is not None:
            self.session.mount("https://", adapter)
        self.client = arxiv.Client(page_size=BATCH, delay_seconds=0, num_retries=0)
        self.client._session = self.session  # the only way in; pacing and retries are ours

    @classmethod
    def from_settings(cls, **overrides) -> "Arxiv":
        options = {
            "user_agent": settings.DIGEST_USER_AGENT,
            "timeout": settings.DIGEST_HTTP_TIMEOUT,
            "interval": settings.DIGEST_ARXIV_INTERVAL,
            "backoff": http_backoff(),
        }
        return cls(settings.DIGEST_ARXIV_CATEGORIES, **options | overrides)

    def listing(self, day: datetime.date, progress=quiet) -> Listing:
        """What arXiv announced on `day`: its announcement listing while rss.arxiv.org still
        shows it, else (a past day) a search of its submission window, marked approximate."""
        announcements: list[Announcement] = []
        for position, category in enumerate(self.categories):
            url = LISTING_URL.format(category=category)
            fetch = functools.partial(self._get_listing, url)
            listed_day, items = self.backoff.call(fetch, f"arXiv listing {category}")
            if listed_day < day:
                raise TransientError(
                    f"arXiv's listing is still dated {listed_day.isoformat()}: {day.isoformat()}"
                    f" is announced at {arxiv_calendar.announced_at(day):%Y-%m-%d %H:%M} US Eastern"
                    " and rss.arxiv.org shows it from midnight US Eastern."
                )
            if listed_day > day:
                if position:
                    raise TransientError(f"arXiv's listing moved on to {listed_day} while read")
                progress(f"the listing of {day} is gone; searching its submission window")
                return self.submitted(day, progress)
            announcements += items
            progress(f"listing {category}: {len(items)} papers")
        return Listing(day, merge_announcements(announcements))

    def papers(self, ids: list[str], progress=quiet):
        """Metadata of `ids` (without version), a batch of records at a time."""
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            fetch = functools.partial(self._get_papers, batch)
            yield self.backoff.call(fetch, f"arXiv metadata of {len(batch)} papers from {batch[0]}")
            progress(f"metadata {min(start + BATCH, len(ids))}/{len(ids)}")

    def submitted(self, day: datetime.date, progress=quiet) -> Listing:
        """The approximate listing of a past day: papers in the configured categories submitted
        in its window, as new when their primary category is one of ours, else as cross-lists."""
        start, end = arxiv_calendar.submission_window(day)
        categories = " OR ".join(f"cat:{category}" for category in self.categories)
        query = f"({categories}) AND submittedDate:[{start:%Y%m%d%H%M} TO {end:%Y%m%d%H%M}]"
        search = arxiv.Search(
            query=query,
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        records: dict[str, PaperRecord] = {}
        fetch = functools.partial(self._search_from, search, records, progress)
        self.backoff.call(fetch, f"arXiv search of {day.isoformat()}'s submissions")
        ours = set(self.categories)
        announcements = [
            Announcement(r.arxiv_id, r.version, "new" if r.primary_category in ours else "cross")
            for r in records.values()
        ]
        return Listing(day, announcements, papers=records, approximate=True)

    def _get_listing(self, url: str) -> tuple[datetime.date, list[Announcement]]:
        response = self.session.get(url)
        return parse_listing(response.content, origin=url)

    def _get_papers(self, ids: list[str]) -> list[PaperRecord]:
        search = arxiv.Search(id_list=ids, max_results=len(ids))
        records = [_record(result) for result in self._results(search)]
        missing = set(ids) - {r.arxiv_id for r in records}
        if missing:
            # arXiv sometimes answers with an empty or short page; asking again usually helps.
            raise TransientError(
                f"{len(missing)} of {len(ids)} papers missing from the answer, e.g. {min(missing)}"
            )
        return records

    def _results(self, search, offset: int = 0):
        """The client's results; an answer its parser chokes on (a malformed date) is an error
        that names it, not a crash of the stage."""
        try:
            yield from self.client.results(search, offset=offset)
        except ValueError as exc:
            raise SourceError(f"arXiv's answer cannot be read ({exc})") from exc

    def _search_from(self, search, records: dict[str, PaperRecord], progress) -> None:
        """Continue `search` after the records already read, until arXiv's total is reached."""
        try:
            for result in self._results(search, offset=len(records)):
                record = _record(result)
                records[record.arxiv_id] = record
                if len(records) % BATCH == 0:
                    progress(f"search: {len(records)} papers")
        except arxiv.UnexpectedEmptyPageError as exc:
            raise TransientError(f"an empty page at {len(records)} papers ({exc.url})") from exc
        total = self.session.total_results
        if total is None or len(records) < total:
            raise TransientError(f"the search stopped at {len(records)} of {total} papers")


def parse_listing(xml: bytes, origin: str) -> tuple[datetime.date, list[Announcement]]:
    """An rss.arxiv.org listing: its announcement date and its papers."""
    try:
        channel = ElementTree.fromstring(xml).find("channel")
        day = parsedate_to_datetime(channel.findtext("pubDate")).date()
    except (ElementTree.ParseError, AttributeError, TypeError, ValueError) as exc:
        raise SourceError(f"{origin}: not an arXiv RSS listing ({exc})") from exc
    announcements = []
    for position, item in enumerate(channel.iter("item"), start=1):
        guid = item.findtext("guid") or ""
        kind = item.findtext(f"{ARXIV_NS}announce_type") or ""
        if kind not in KINDS:
            raise SourceError(f"{origin}: item {position} has announce type {kind!r}")
        arxiv_id, version = split_arxiv_id(guid)
        announcements.append(Announcement(arxiv_id, version or 1, KINDS[kind]))
    return day, announcements


def _record(result: arxiv.Result) -> PaperRecord:
    return PaperRecord.from_arxiv(
        result.entry_id,
        result.title,
        abstract=unwrap(result.summary),
        authors=[author.name for author in result.authors],
        primary_category=result.primary_category,
        arxiv_categories=result.categories,
        published=result.published,
        updated=result.updated,
        comment=unwrap(result.comment),
        journal_ref=unwrap(result.journal_ref),
        doi=result.doi or "",
    )
