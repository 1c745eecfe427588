"""Whole announcement days through the pipeline's ingest stage with DIGEST_SOURCE=arxiv.

arXiv and Hugging Face are answered by swapped transports only (tests/fixtures/README.md):
the listings and API answers are rendered in arXiv's formats from the real papers of
2025-05-27; everything from the `arxiv` client to the database runs for real.
"""

import datetime
import json

import httpx
import pytest
import requests
from django.urls import reverse

from common.retry import Backoff
from digest import pipeline, runs
from digest.ingest import IncompleteDay
from digest.models import DailyDigest, PipelineRun
from papers.models import Paper
from papers.sources import SourceError, TransientError, http_backoff
from papers.sources.arxiv import Arxiv
from papers.sources.hf_daily import DailyPapers
from tests.conftest import FIXTURES
from tests.fixtures.arxiv.server import (
    Clock,
    Day,
    FakeArxiv,
    drop_entries,
    entry_xml,
    real_papers,
    truncate,
)

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 5, 27)
NEXT_DAY = datetime.date(2025, 5, 28)
FIXTURES = FIXTURES
EMPTY_LISTING = (FIXTURES / "arxiv" / "rss_physics_2025-12-31_empty.xml").read_bytes()
HF_2026 = json.loads((FIXTURES / "hf" / "2026-08-21.json").read_bytes())
PAPERS = real_papers(150)


class Wire:
    """What arXiv and Hugging Face answer, and what they were asked."""

    def __init__(self, categories: list[str]):
        self.categories = categories
        self.clock = Clock()
        self.arxiv = FakeArxiv([Day(DAY, PAPERS, categories)], clock=self.clock)
        self.hf_answers: list = []  # served in order; then an empty page
        self.hf_requests: list[httpx.Request] = []

    def hugging_face(self, request: httpx.Request) -> httpx.Response:
        self.hf_requests.append(request)
        answer = self.hf_answers.pop(0) if self.hf_answers else httpx.Response(200, json=[])
        return answer

    def backoff(self) -> Backoff:
        return http_backoff(sleep=self.clock.sleep, jitter=lambda: 0.5)


@pytest.fixture
def wire(settings, monkeypatch):
    """DIGEST_SOURCE=arxiv with the clients built from settings, transport and time swapped."""
    settings.DIGEST_SOURCE = "arxiv"
    wire = Wire(settings.DIGEST_ARXIV_CATEGORIES)
    build_arxiv, build_hf = Arxiv.from_settings.__func__, DailyPapers.from_settings.__func__
    monkeypatch.setattr(
        Arxiv,
        "from_settings",
        classmethod(
            lambda cls: build_arxiv(
                cls, adapter=wire.arxiv, clock=wire.clock, backoff=wire.backoff()
            )
        ),
    )
    monkeypatch.setattr(
        DailyPapers,
        "from_settings",
        classmethod(
            lambda cls: build_hf(
                cls, transport=httpx.MockTransport(wire.hugging_face), backoff=wire.backoff()
            )
        ),
    )
    return wire


def expected_kinds(papers, categories) -> dict[str, str]:
    """How arXiv's listings of `categories` announce `papers`, a paper once."""
    ours = set(categories)
    return {
        p["arxiv_id"]: "new" if p["primary_category"] in ours else "cross"
        for p in papers
        if ours & set(p["categories"])
    }


def assert_no_duplicates():
    ids = list(Paper.objects.values_list("arxiv_id", flat=True))
    assert len(ids) == len(set(ids))


def test_a_day_is_stored_complete_with_its_counts(wire, settings):
    kinds = expected_kinds(PAPERS, settings.DIGEST_ARXIV_CATEGORIES)
    counts = pipeline.run_stage(DAY, "ingest")

    new, cross = list(kinds.values()).count("new"), list(kinds.values()).count("cross")
    assert (counts["listed"], counts["new"], counts["cross"], counts["replace"]) == (
        len(kinds),
        new,
        cross,
        0,
    )
    assert cross > 0 and counts["stored"] == counts["created"] == len(kinds)
    assert counts["complete"] is True and counts["approximate"] is False
    digest = DailyDigest.objects.get(date=DAY)
    assert digest.status == "ingested" and digest.is_complete
    assert (digest.announced_new, digest.stored_new) == (new, new)
    assert (digest.announced_cross, digest.stored_cross) == (cross, cross)
    assert set(digest.papers.values_list("arxiv_id", flat=True)) == set(kinds)
    assert not DailyDigest.objects.incomplete().exists()
    paper = Paper.objects.get(arxiv_id=PAPERS[0]["arxiv_id"])
    assert paper.title == PAPERS[0]["title"] and paper.authors == PAPERS[0]["authors"]
    assert paper.abstract.split() == PAPERS[0]["abstract"].split()
    assert paper.announced_on == DAY and paper.published is not None

    listings = wire.arxiv.requests_to("listing")
    assert [r.url for r in listings] == [
        f"https://rss.arxiv.org/rss/{c}" for c in settings.DIGEST_ARXIV_CATEGORIES
    ]
    assert len(wire.arxiv.requests_to("api")) == 2  # 144 ids in batches of 100
    gaps = [b - a for a, b in zip(wire.arxiv.times, wire.arxiv.times[1:], strict=False)]
    assert min(gaps) >= settings.DIGEST_ARXIV_INTERVAL  # one request every 3 s at most
    # Popularity from Hugging Face's page of the announcement's US Eastern date.
    assert wire.hf_requests[0].url.params["date"] == "2025-05-26"


def test_ingesting_three_times_leaves_no_duplicates_and_asks_arxiv_once(wire):
    first = pipeline.run_stage(DAY, "ingest")
    served = len(wire.arxiv.served)
    rows = dict(Paper.objects.values_list("arxiv_id", "updated_at"))
    for _ in range(2):
        again = pipeline.run_stage(DAY, "ingest")
        assert again | {"created": 0} == first | {"created": 0}
        assert again["created"] == again["updated"] == 0
    assert len(wire.arxiv.served) == served  # the recorded listing is reused; nothing to fetch
    assert dict(Paper.objects.values_list("arxiv_id", "updated_at")) == rows
    assert DailyDigest.objects.get().papers.count() == first["stored"] == Paper.objects.count()
    assert_no_duplicates()


def test_a_new_version_updates_the_paper_and_records_the_revision(wire, settings):
    pipeline.run_stage(DAY, "ingest")
    target = PAPERS[3]
    revised = target | {"title": target["title"] + " (extended)", "abstract": "A new abstract."}
    newcomers = real_papers(170)[150:]
    wire.arxiv = FakeArxiv(
        [
            Day(DAY, PAPERS, settings.DIGEST_ARXIV_CATEGORIES),
            Day(NEXT_DAY, newcomers, settings.DIGEST_ARXIV_CATEGORIES, [(revised, 2)]),
        ],
        clock=wire.clock,
    )
    before = Paper.objects.count()

    counts = pipeline.run_stage(NEXT_DAY, "ingest")
    paper = Paper.objects.get(arxiv_id=target["arxiv_id"])
    assert (paper.version, paper.title, paper.abstract) == (2, revised["title"], "A new abstract.")
    assert paper.revised_at is not None and paper.announced_on == DAY
    assert (counts["replace"], counts["updated"], counts["revised"]) == (1, 1, 1)
    assert counts["complete"] and Paper.objects.count() == before + counts["created"]
    # A replacement updates its paper; it does not join the day's digest.
    assert paper.digests.get().date == DAY
    assert not DailyDigest.objects.get(date=NEXT_DAY).papers.filter(pk=paper.pk).exists()

    # Ingesting the first day again never rolls the paper back; the second changes nothing.
    pipeline.run_stage(DAY, "ingest")
    again = pipeline.run_stage(NEXT_DAY, "ingest")
    paper.refresh_from_db()
    assert (paper.version, paper.title) == (2, revised["title"])
    assert again["updated"] == again["created"] == 0 and again["complete"]
    assert DailyDigest.objects.get(date=DAY).is_complete
    assert_no_duplicates()


API_FAULTS = {
    "429 with Retry-After": ({"status": 429, "headers": {"Retry-After": "30"}, "body": b""}, 30),
    "503 without Retry-After": ({"status": 503, "body": b""}, 3.75),
    "Rate exceeded. with HTTP 200": ({"body": b"Rate exceeded."}, 3.75),
    "empty page": ({"body": drop_entries}, 3.75),
    "timeout": ({"raises": requests.ReadTimeout}, 3.75),
    "malformed XML": ({"body": truncate}, 3.75),
}


def fail_second_batch(wire: Wire, fault: dict, times: int) -> None:
    """The first API request is answered; the next `times` get `fault`."""
    wire.arxiv.reply("api")
    wire.arxiv.reply("api", times=times, **fault)


@pytest.mark.parametrize("fault", API_FAULTS)
def test_a_passing_fault_is_retried_and_the_day_completes(wire, fault):
    spec, wait = API_FAULTS[fault]
    fail_second_batch(wire, spec, times=1)
    counts = pipeline.run_stage(DAY, "ingest")
    assert counts["complete"] and counts["stored"] == counts["listed"] == Paper.objects.count()
    assert len(wire.arxiv.requests_to("api")) == 3
    assert wait in wire.clock.waits  # the backoff (or Retry-After) before the retry
    assert_no_duplicates()


@pytest.mark.parametrize("fault", API_FAULTS)
def test_a_lasting_fault_fails_the_stage_keeping_what_was_stored(wire, settings, fault):
    spec, _ = API_FAULTS[fault]
    earlier = Paper.objects.create(
        arxiv_id="2505.00001", title="Stored on an earlier day", abs_url="https://arxiv.org/abs/x",
        announced_on=datetime.date(2025, 5, 26),
    )  # fmt: skip
    fail_second_batch(wire, spec, times=settings.DIGEST_HTTP_RETRIES + 1)
    with pytest.raises(IncompleteDay, match=r"2025-05-27 is incomplete: 100 of 144") as error:
        pipeline.run_stage(DAY, "ingest")
    assert error.value.retryable
    run = PipelineRun.objects.get(stage="ingest")
    assert run.status == "failed" and "gave up after 5 tries" in run.error

    digest = DailyDigest.objects.get(date=DAY)
    assert (digest.stored, digest.announced, digest.is_complete) == (100, 144, False)
    assert digest.status == "pending" and list(DailyDigest.objects.incomplete()) == [digest]
    assert digest.papers.count() == 100 == Paper.objects.exclude(pk=earlier.pk).count()

    # Once arXiv recovers, the next run fetches only the missing papers and completes.
    requests_before = len(wire.arxiv.requests_to("api"))
    counts = pipeline.run_stage(DAY, "ingest")
    assert counts["complete"] and (counts["created"], counts["unchanged"]) == (44, 0)
    assert len(wire.arxiv.requests_to("api")) == requests_before + 1
    assert not wire.arxiv.requests_to("listing")[12:]  # the recorded listing was reused
    assert Paper.objects.filter(pk=earlier.pk).exists() and Paper.objects.count() == 145
    assert DailyDigest.objects.get().papers.count() == 144
    assert_no_duplicates()


@pytest.mark.parametrize(
    "fault",
    [{"status": 503, "body": b""}, {"body": truncate}, {"raises": requests.ConnectTimeout}],
    ids=["503", "malformed XML", "connect timeout"],
)
def test_a_listing_that_cannot_be_read_changes_nothing(wire, settings, fault):
    wire.arxiv.reply("listing", times=settings.DIGEST_HTTP_RETRIES + 1, **fault)
    with pytest.raises(TransientError, match=r"arXiv listing cs\.AI: gave up after 5 tries"):
        pipeline.run_stage(DAY, "ingest")
    assert not Paper.objects.exists() and not DailyDigest.objects.exists()
    assert PipelineRun.objects.get().status == "failed"


def test_a_day_not_yet_announced_changes_nothing(wire):
    with pytest.raises(TransientError, match="still dated 2025-05-27") as error:
        pipeline.run_stage(NEXT_DAY, "ingest")
    assert error.value.retryable
    assert not Paper.objects.exists() and not DailyDigest.objects.exists()


def test_a_past_day_is_backfilled_from_its_submission_window_and_marked_approximate(wire):
    wire.arxiv.days = {NEXT_DAY: Day(NEXT_DAY, [], wire.categories)}
    wire.arxiv.listed_day = NEXT_DAY
    wire.arxiv.search = list(Day(DAY, PAPERS, wire.categories).entries().values())
    counts = pipeline.run_stage(DAY, "ingest")
    assert counts["approximate"] and counts["complete"]
    assert counts["listed"] == counts["created"] == len(PAPERS)
    digest = DailyDigest.objects.get()
    assert digest.approximate and digest.papers.count() == len(PAPERS)
    assert len(wire.arxiv.requests_to("listing")) == 1  # enough to see the listing moved on


def test_a_weekend_day_gets_the_no_announcement_state_and_nothing_else(wire, client):
    saturday = datetime.date(2025, 5, 31)
    done = []
    pipeline.build_digest(saturday, progress=lambda stage, counts: done.append(stage))
    assert done == ["ingest"] and not wire.arxiv.served and not wire.hf_requests
    digest = DailyDigest.objects.get()
    assert digest.status == "no_announcement" and not digest.has_announcement
    assert digest.published_at and digest.is_complete and not digest.papers.exists()
    assert not DailyDigest.objects.with_announcement().exists()
    with pytest.raises(runs.PipelineError, match="no announcement on 2025-05-31"):
        pipeline.run_stage(saturday, "classify")

    response = client.get(reverse("day", args=[saturday]))
    assert response.status_code == 200
    assert 'class="no-announcement"' in response.text and "category-chart" not in response.text


def test_an_empty_listing_on_a_weekday_is_a_holiday(wire, settings):
    holiday = datetime.date(2025, 12, 31)
    settings.DIGEST_ARXIV_HOLIDAYS = []  # only arXiv's empty listing tells
    wire.arxiv.reply("listing", times=len(settings.DIGEST_ARXIV_CATEGORIES), body=EMPTY_LISTING)
    counts = pipeline.run_stage(holiday, "ingest")
    assert counts == {"no_announcement": "arXiv's listing of this date is empty (an arXiv holiday)"}
    assert DailyDigest.objects.get().status == "no_announcement"
    assert not wire.arxiv.requests_to("api")


def test_a_day_with_papers_is_not_turned_into_a_holiday(wire, settings):
    pipeline.run_stage(DAY, "ingest")
    settings.DIGEST_ARXIV_HOLIDAYS = ["2025-05-27"]
    with pytest.raises(SourceError, match="has papers, yet an arXiv holiday"):
        pipeline.run_stage(DAY, "ingest")
    assert DailyDigest.objects.get().status == "ingested"


def test_popularity_is_recorded_and_popular_papers_we_lack_are_fetched(wire):
    listed = [p["arxiv_id"] for p in PAPERS[:5]]
    lacking = real_papers(400)[399]
    wire.arxiv.entries[lacking["arxiv_id"]] = entry_xml(lacking)
    answer = [
        entry | {"paper": entry["paper"] | {"id": arxiv_id}}
        for entry, arxiv_id in zip(HF_2026, [*listed, lacking["arxiv_id"]], strict=False)
    ]
    wire.hf_answers = [httpx.Response(200, json=answer)]
    counts = pipeline.run_stage(DAY, "ingest")

    assert counts["with_upvotes"] == 6 and counts["complete"]
    first = Paper.objects.get(arxiv_id=listed[0])
    assert (first.upvotes, first.hf_comments, first.github_stars) == (163, 1, 8)
    assert first.github_repo == "https://github.com/google-research/envharness"
    extra = Paper.objects.get(arxiv_id=lacking["arxiv_id"])
    assert extra.source == "hf_daily" and extra.upvotes == answer[5]["paper"]["upvotes"]
    digest = DailyDigest.objects.get()
    assert digest.papers.filter(pk=extra.pk).exists()
    assert digest.papers.count() == counts["stored"] + 1  # completeness counts the listing only


def test_popularity_that_cannot_be_read_does_not_fail_the_day(wire):
    wire.hf_answers = [httpx.Response(503)] * 5
    counts = pipeline.run_stage(DAY, "ingest")
    assert counts["complete"] and counts["with_upvotes"] == 0
    assert "gave up after 5 tries: HTTP 503" in counts["popularity_error"]


@pytest.mark.parametrize("size", [30, 150])
def test_ingest_queries_do_not_grow_with_the_day(wire, settings, size, django_assert_num_queries):
    wire.arxiv = FakeArxiv([Day(DAY, PAPERS[:size], wire.categories)], clock=wire.clock)
    # claim 4; the recorded listing, the papers held; the listing recorded before fetching 5;
    # then in one transaction 10: stored papers, the COPY of the new ones and their ids, the
    # digest, its counts, its papers 3; the run's result 1; their related papers 8 (theirs, the
    # archive's size and texts, then in a transaction the old rows out and the new ones in)
    with django_assert_num_queries(30):
        counts = pipeline.run_stage(DAY, "ingest")
    assert counts["complete"] and counts["created"] > 20
