"""The scheduled popularity refresh over the last 7 announcement days, against Hugging Face's
recorded responses through httpx.MockTransport, on the real database."""

import datetime
import json

import httpx
import pytest

from digest.models import PopularitySnapshot
from digest.popularity import refresh_popularity
from papers.models import Paper
from papers.sources import http_backoff
from papers.sources.hf_daily import DailyPapers, parse_daily_papers
from tests.conftest import FIXTURES, REFERENCE_DAY

pytestmark = pytest.mark.django_db
RECORDED = (FIXTURES / "hf" / "2024-11-13.json").read_bytes()  # the page of 2024-11-14's papers
# Wednesday 22:30 in New York: Thursday 2024-11-14's announcement is out; and a day later.
THURSDAY = datetime.datetime(2024, 11, 14, 3, 30, tzinfo=datetime.UTC)
FRIDAY = datetime.datetime(2024, 11, 15, 3, 30, tzinfo=datetime.UTC)


def gained(raw: bytes, upvotes: int) -> bytes:
    """The recorded page as Hugging Face would give it later: every paper `upvotes` more."""
    entries = json.loads(raw)
    for entry in entries:
        entry["paper"]["upvotes"] += upvotes
    return json.dumps(entries).encode()


def client(pages: dict[str, bytes], asked: list[str]) -> DailyPapers:
    def handler(request):
        date = request.url.params["date"]
        asked.append(date)
        if pages.get(date) == b"fail":
            return httpx.Response(400, json={"error": "Invalid date"})
        return httpx.Response(200, content=pages.get(date, b"[]"))

    return DailyPapers.from_settings(
        transport=httpx.MockTransport(handler), backoff=http_backoff(sleep=lambda s: None)
    )


@pytest.fixture
def papers():
    """The recorded page's papers, held (one of them not: it is skipped)."""
    listed = parse_daily_papers(RECORDED)
    for p in listed[:-1]:
        Paper.objects.create(
            arxiv_id=p.arxiv_id,
            title=p.title,
            abs_url=f"https://arxiv.org/abs/{p.arxiv_id}",
            announced_on=REFERENCE_DAY,
        )
    return listed


def figures() -> dict[str, tuple]:
    return {
        p.arxiv_id: (p.upvotes, p.hf_comments)
        for p in Paper.objects.exclude(upvotes=None).order_by()
    }


def snapshots() -> list[tuple]:
    rows = PopularitySnapshot.objects.order_by("day", "paper__arxiv_id")
    return list(rows.values_list("day", "paper__arxiv_id", "upvotes"))


def test_the_last_7_announcement_days_are_read_and_the_held_papers_updated(papers):
    asked = []
    result = refresh_popularity(THURSDAY, daily_papers=client({"2024-11-13": RECORDED}, asked))
    # Each announcement day's own (New York) date, the latest first; no weekend.
    assert asked == [
        "2024-11-13",
        "2024-11-12",
        "2024-11-11",
        "2024-11-10",
        "2024-11-07",
        "2024-11-06",
        "2024-11-05",
    ]
    assert result.counts() == {"day": "2024-11-14", "listed": 7, "updated": 6}
    assert figures() == {p.arxiv_id: (p.upvotes, p.comments) for p in papers[:-1]}
    assert figures()["2411.07184"] == (15, 1)
    assert len(snapshots()) == 6 and {day for day, *_ in snapshots()} == {REFERENCE_DAY}


def test_a_second_refresh_the_same_day_changes_nothing_and_the_next_day_adds_a_snapshot(papers):
    refresh_popularity(THURSDAY, daily_papers=client({"2024-11-13": RECORDED}, []))
    first = snapshots()
    refresh_popularity(THURSDAY, daily_papers=client({"2024-11-13": RECORDED}, []))
    assert snapshots() == first

    later = {"2024-11-13": gained(RECORDED, 4)}
    refresh_popularity(FRIDAY, daily_papers=client(later, []))
    assert figures()["2411.07184"] == (19, 1)
    friday = [row for row in snapshots() if row[0] == datetime.date(2024, 11, 15)]
    assert len(friday) == 6 and snapshots()[:6] == first  # yesterday's figures are kept
    # A re-run of Friday's refresh with other figures overwrites Friday's row, not Thursday's.
    refresh_popularity(FRIDAY, daily_papers=client({"2024-11-13": gained(RECORDED, 5)}, []))
    assert snapshots()[:6] == first and figures()["2411.07184"] == (20, 1)
    assert len(snapshots()) == 12


def test_a_day_hugging_face_refuses_is_reported_and_the_others_stored(papers):
    pages = {"2024-11-13": RECORDED, "2024-11-12": b"fail"}
    result = refresh_popularity(THURSDAY, daily_papers=client(pages, []))
    assert list(result.errors) == ["2024-11-13"]  # the announcement day of that page
    assert result.updated == 6 and "HTTP 400" in next(iter(result.errors.values()))
