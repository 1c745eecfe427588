"""Hugging Face Daily Papers against its real recorded responses, through httpx.MockTransport."""

import datetime
import json

import httpx
import pytest

from papers.sources import SourceError, TransientError, http_backoff
from papers.sources.hf_daily import DailyPapers, parse_daily_papers
from tests.conftest import FIXTURES
from tests.fixtures.arxiv.server import Clock

FIXTURES = FIXTURES / "hf"
SCHEMA_2024 = (FIXTURES / "2024-11-13.json").read_bytes()
SCHEMA_2026 = (FIXTURES / "2026-08-21.json").read_bytes()
DAY = datetime.date(2024, 11, 13)


def test_the_2024_schema_gives_upvotes_and_comments():
    papers = parse_daily_papers(SCHEMA_2024)
    assert [(p.arxiv_id, p.upvotes) for p in papers[:3]] == [
        ("2411.07184", 15),
        ("2411.07975", 10),
        ("2411.07133", 7),
    ]
    assert papers[0].comments == 1
    assert all(p.github_repo == "" and p.github_stars is None for p in papers)
    assert "\n" not in papers[2].title


def test_the_2026_schema_adds_the_github_repository_and_stars():
    papers = {p.arxiv_id: p for p in parse_daily_papers(SCHEMA_2026)}
    assert len(papers) == 17
    envharness = papers["2608.19880"]
    assert (envharness.upvotes, envharness.comments) == (163, 1)
    assert envharness.github_repo == "https://github.com/google-research/envharness"
    assert envharness.github_stars == 8
    assert papers["2608.13120"].github_repo == "" and papers["2608.13120"].github_stars is None


@pytest.fixture
def clock():
    return Clock()


def client(handler, clock) -> DailyPapers:
    return DailyPapers.from_settings(
        transport=httpx.MockTransport(handler),
        backoff=http_backoff(sleep=clock.sleep, jitter=lambda: 0.5),
    )


def test_fetching_asks_for_the_date_with_our_user_agent(clock, settings):
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, content=SCHEMA_2024)

    assert len(client(handler, clock).fetch(DAY)) == 7
    [request] = seen
    assert str(request.url) == "https://huggingface.co/api/daily_papers?date=2024-11-13"
    assert request.headers["User-Agent"] == settings.DIGEST_USER_AGENT
    assert request.extensions["timeout"]["read"] == settings.DIGEST_HTTP_TIMEOUT
    assert clock.waits == []


@pytest.mark.parametrize(
    ("fault", "wait"),
    [
        (httpx.Response(429, headers={"Retry-After": "20"}), 20.0),
        (httpx.Response(503), 3.75),
        (httpx.Response(200, content=SCHEMA_2024[: len(SCHEMA_2024) // 2]), 3.75),
        (httpx.ReadTimeout("timed out"), 3.75),
        (httpx.ConnectError("refused"), 3.75),
    ],
    ids=["429 Retry-After", "503", "cut-off JSON", "timeout", "connection refused"],
)
def test_faults_are_retried_after_a_backoff(clock, fault, wait):
    answers = [fault, httpx.Response(200, content=SCHEMA_2026)]

    def handler(request):
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert len(client(handler, clock).fetch(DAY)) == 17
    assert clock.waits == [wait] and not answers


def test_retries_are_bounded(clock):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(500)

    with pytest.raises(TransientError, match="gave up after 5 tries: HTTP 500"):
        client(handler, clock).fetch(DAY)
    assert len(calls) == 5 and clock.waits == [3.75, 7.5, 15.0, 30.0]


def test_a_client_error_is_not_retried(clock):
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(400, json={"error": "Invalid date"})

    with pytest.raises(SourceError, match="HTTP 400") as error:
        client(handler, clock).fetch(DAY)
    assert not error.value.retryable and len(calls) == 1


def test_a_malformed_entry_is_named():
    entries = json.loads(SCHEMA_2024)
    del entries[2]["paper"]["id"]
    with pytest.raises(SourceError, match="entry 3 is malformed"):
        parse_daily_papers(json.dumps(entries))
