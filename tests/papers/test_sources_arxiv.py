"""The arXiv source against recorded real API responses and listings in arXiv's formats.

Only the HTTP transport is swapped (tests/fixtures/arxiv/server.py); the `arxiv` client, our
session, its checks, the parsers and the retries run for real, with time faked so nothing waits.
"""

import datetime
import socket
import threading

import pytest
import requests

from papers.sources import Announcement, SourceError, TransientError, http_backoff
from papers.sources.arxiv import Arxiv, parse_listing
from tests.conftest import FIXTURES
from tests.fixtures.arxiv.server import (
    Clock,
    Day,
    FakeArxiv,
    drop_entries,
    drop_last_entry,
    listing_xml,
    real_papers,
    truncate,
)

FIXTURES = FIXTURES / "arxiv"
CURRENT = (FIXTURES / "new_format_cat_cs.RO_3_entries_affiliation_doi.xml").read_bytes()
LEGACY = (FIXTURES / "old_format_cat_cs.RO_2_entries_comment.xml").read_bytes()
ID_LIST = (FIXTURES / "old_format_id_list_doi_journal_ref.xml").read_bytes()
EMPTY_LISTING = (FIXTURES / "rss_physics_2025-12-31_empty.xml").read_bytes()
CURRENT_IDS = ["2012.11345", "2012.12142", "2012.13240"]
DAY = datetime.date(2025, 5, 27)
# With jitter fixed at 0.5 the n-th backoff is 3/4 of min(cap, 5 s * 2**n).
BACKOFF = [3.75, 7.5, 15.0, 30.0]


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def fake():
    return FakeArxiv()


@pytest.fixture
def source(fake, clock, settings):
    return Arxiv.from_settings(
        adapter=fake,
        clock=clock,
        backoff=http_backoff(sleep=clock.sleep, jitter=lambda: 0.5),
    )


def fetch(source, ids):
    return [record for batch in source.papers(ids) for record in batch]


def test_current_format_is_read_field_by_field(source, fake):
    fake.reply("api", body=CURRENT)
    first, second, third = fetch(source, CURRENT_IDS)
    assert [first.arxiv_id, first.version] == ["2012.11345", 1]
    assert first.title == (
        "Analysis of Safe Ultrawideband Human-Robot Communication in Automated Collaborative "
        "Warehouse"
    )
    assert first.abstract.startswith("The paper presents the propagation analysis of ultraw")
    assert first.authors == ["Branimir Ivšić", "Zvonimir Šipuš", "Juraj Bartolić", "Josip Babić"]
    assert (first.primary_category, first.arxiv_categories) == ("cs.RO", ["cs.RO", "eess.SY"])
    assert first.comment.endswith("arXiv admin note: text overlap with arXiv:2001.03160")
    assert first.doi == "10.23919/eucap48036.2020.9135568" and first.journal_ref == ""
    assert first.published == datetime.datetime(2020, 12, 21, 13, 55, 21, tzinfo=datetime.UTC)
    assert first.abs_url == "https://arxiv.org/abs/2012.11345"
    assert first.pdf_url == "https://arxiv.org/pdf/2012.11345"
    assert second.authors[0] == "Kapil D. Katyal" and second.comment == ""
    assert third.comment == "19 pages" and third.arxiv_categories == ["cs.RO", "math.OC"]


def test_legacy_format_is_unwrapped(source, fake):
    fake.reply("api", body=LEGACY)
    rdd, flow = fetch(source, ["2510.14968", "2510.14827"])
    assert rdd.title == (
        "RDD: Retrieval-Based Demonstration Decomposer for Planner Alignment in Long-Horizon Tasks"
    )
    assert rdd.abstract.startswith("To tackle long-horizon tasks, recent hierarchical")
    assert "\n" not in rdd.abstract and rdd.abstract.endswith("rdd-neurips.github.io.")
    assert rdd.comment == (
        "39th Conference on Neural Information Processing Systems (NeurIPS 2025); "
        "Project Website: rdd-neurips.github.io"
    )
    assert rdd.arxiv_categories == ["cs.RO", "cs.AI", "cs.CV", "cs.LG", "cs.SY", "eess.SY"]
    assert flow.arxiv_categories == ["cs.RO"] and len(flow.authors) == 6


def test_an_id_lookup_keeps_doi_journal_ref_and_latex(source, fake):
    fake.reply("api", body=ID_LIST)
    [paper] = fetch(source, ["1601.00001"])
    assert paper.doi == "10.1063/1.4944470"
    assert paper.journal_ref == "J. Chem. Phys. 144, 124107 (2016)"
    assert 'Landauer-B\\"uttiker' in paper.abstract and "$I$-$V$" in paper.abstract
    assert paper.primary_category == "cond-mat.mes-hall"


def test_every_request_is_identified_paced_and_time_bounded(source, fake, clock, settings):
    fake.reply("api", body=CURRENT)
    fake.reply("api", body=ID_LIST)
    fetch(source, CURRENT_IDS)
    fetch(source, ["1601.00001"])
    (first, first_timeout), (second, second_timeout) = fake.served
    for request in (first, second):
        assert request.headers["User-Agent"] == settings.DIGEST_USER_AGENT
        assert request.url.startswith("https://export.arxiv.org/api/query?")
    assert first_timeout == second_timeout == settings.DIGEST_HTTP_TIMEOUT
    assert "id_list=2012.11345%2C2012.12142%2C2012.13240" in first.url
    assert clock.waits == [3.0]  # the second request waited out arXiv's interval


FAULTS = {
    "429 with Retry-After": {"status": 429, "headers": {"Retry-After": "7"}, "body": b""},
    "429": {"status": 429, "body": b""},
    "503 with Retry-After": {"status": 503, "headers": {"Retry-After": "11"}, "body": b""},
    "503": {"status": 503, "body": b"<html>Service Unavailable</html>"},
    "Rate exceeded. with 200": {"body": b"Rate exceeded."},
    "empty page": {"body": drop_entries},
    "malformed XML": {"body": truncate},
    "timeout": {"raises": requests.ReadTimeout},
    "connection reset": {"raises": requests.ConnectionError},
}
FIRST_WAIT = {"429 with Retry-After": 7.0, "503 with Retry-After": 11.0}


@pytest.mark.parametrize("fault", FAULTS)
def test_each_fault_is_retried_after_a_backoff(source, fake, clock, fault):
    recorded = CURRENT
    spec = FAULTS[fault]
    if callable(spec.get("body")):
        spec = spec | {"body": spec["body"](recorded)}
    fake.reply("api", **spec)
    fake.reply("api", body=recorded)
    assert [p.arxiv_id for p in fetch(source, CURRENT_IDS)] == CURRENT_IDS
    assert len(fake.served) == 2
    assert clock.waits == [FIRST_WAIT.get(fault, BACKOFF[0])]


@pytest.mark.parametrize("fault", FAULTS)
def test_retries_are_bounded_then_the_fault_is_raised(source, fake, clock, settings, fault):
    spec = FAULTS[fault]
    if callable(spec.get("body")):
        spec = spec | {"body": spec["body"](CURRENT)}
    fake.reply("api", times=settings.DIGEST_HTTP_RETRIES + 1, **spec)
    with pytest.raises(TransientError, match="gave up after 5 tries") as error:
        fetch(source, CURRENT_IDS)
    assert error.value.retryable
    assert len(fake.served) == 5 and not fake.replies
    first = FIRST_WAIT.get(fault)
    assert clock.waits == ([first] * 4 if first else BACKOFF)


def test_a_retry_after_longer_than_the_cap_ends_the_retries_at_once(source, fake, clock):
    fake.reply("api", status=429, headers={"Retry-After": "3600"}, body=b"")
    with pytest.raises(TransientError, match=r"gave up after 1 tries: HTTP 429, Retry-After 3600"):
        fetch(source, CURRENT_IDS)
    assert clock.waits == [] and len(fake.served) == 1


def test_a_client_error_is_not_retried(source, fake):
    # arXiv's error feed, in the shape its API documents (no recorded one exists: README).
    error = CURRENT.split(b"  <entry>")[0].replace(b">58344<", b">1<") + (
        b"  <entry>\n    <id>https://arxiv.org/api/errors#incorrect_id_format_for_2012.1134</id>\n"
        b"    <title>Error</title>\n    <summary>incorrect id format for 2012.1134</summary>\n"
        b"    <author>\n      <name>arXiv api core</name>\n    </author>\n  </entry>\n</feed>\n"
    )
    fake.reply("api", status=400, body=error)
    with pytest.raises(SourceError, match="HTTP 400") as raised:
        fetch(source, ["2012.1134"])
    assert not raised.value.retryable and len(fake.served) == 1


def test_ids_are_fetched_in_batches_of_100(source, fake, clock):
    papers = real_papers(150)
    fake.entries = FakeArxiv([Day(DAY, papers, ["cs.CL", "cs.CV"])]).entries
    ids = [p["arxiv_id"] for p in papers]
    batches = list(source.papers(ids))
    assert [len(batch) for batch in batches] == [100, 50]
    assert [r.arxiv_id for batch in batches for r in batch] == ids
    assert clock.waits == [3.0]


def test_an_unanswered_request_times_out(settings, clock):
    """A real socket that accepts and never answers: the timeout is what ends the wait."""
    server = socket.create_server(("127.0.0.1", 0))
    accepted = []

    def accept():
        for _ in range(2):
            connection, _ = server.accept()
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    source = Arxiv.from_settings(
        timeout=0.2, backoff=http_backoff(retries=1, sleep=clock.sleep), clock=clock
    )
    source.client.query_url_format = f"http://127.0.0.1:{server.getsockname()[1]}/api/query?{{}}"
    try:
        with pytest.raises(TransientError, match=r"gave up after 2 tries: no answer within 0.2 s"):
            fetch(source, CURRENT_IDS)
    finally:
        thread.join(timeout=5)
        for connection in accepted:
            connection.close()
        server.close()
    assert len(accepted) == 2


# The listing.


def listing_of(category: str, papers: list[dict], replaced=()) -> bytes:
    return Day(DAY, papers, [category], list(replaced)).listing(category)


def test_a_listing_gives_the_announcement_date_and_each_papers_kind():
    papers = [p for p in real_papers() if "cs.AI" in p["categories"]]
    replaced = {**papers.pop(), "primary_category": "cs.LG"}
    day, announcements = parse_listing(listing_of("cs.AI", papers, [(replaced, 3)]), origin="cs.AI")
    assert day == DAY
    expected = [
        Announcement(p["arxiv_id"], 1, "new" if p["primary_category"] == "cs.AI" else "cross")
        for p in papers
    ]
    # replace-cross (a replaced paper listed outside its primary category) is a replacement
    assert announcements == [*expected, Announcement(replaced["arxiv_id"], 3, "replace")]
    assert {a.kind for a in expected} == {"new", "cross"}


def test_the_real_empty_listing_of_a_holiday_has_a_date_and_no_papers():
    assert parse_listing(EMPTY_LISTING, origin="physics") == (datetime.date(2025, 12, 31), [])


def test_an_unknown_announce_type_is_refused():
    paper = real_papers(1)[0]
    xml = listing_of(paper["primary_category"], [paper]).replace(b">new<", b">withdrawn<", 1)
    with pytest.raises(SourceError, match="item 1 has announce type 'withdrawn'"):
        parse_listing(xml, origin="cs.CV")


def test_a_cross_listed_paper_counts_once(source, fake, settings):
    settings.DIGEST_ARXIV_CATEGORIES = ["cs.AI", "cs.CL"]
    source.categories = settings.DIGEST_ARXIV_CATEGORIES
    papers = [p for p in real_papers(200) if {"cs.AI", "cs.CL"} <= set(p["categories"])]
    fake.days = {DAY: Day(DAY, papers, source.categories)}
    fake.listed_day = DAY
    listing = source.listing(DAY)
    assert len(listing.announcements) == len(papers) > 20
    kinds = {a.key: a.kind for a in listing.announcements}
    for paper in papers:  # new in its primary category's listing, cross in the other
        expected = "new" if paper["primary_category"] in source.categories else "cross"
        assert kinds[paper["arxiv_id"]] == expected
    assert len(fake.requests_to("listing")) == 2


def test_a_listing_fault_is_retried(source, fake, clock):
    fake.days = {DAY: Day(DAY, real_papers(30), source.categories)}
    fake.listed_day = DAY
    fake.reply("listing", status=503, body=b"")
    fake.reply("listing", body=truncate)
    listing = source.listing(DAY)
    assert listing.counts()["new"] > 0
    assert clock.waits[:2] == BACKOFF[:2]
    assert len(fake.requests_to("listing")) == len(source.categories) + 2


def test_a_day_not_yet_in_the_listing_is_retryable_later(source, fake):
    fake.days = {DAY: Day(DAY, real_papers(5), source.categories)}
    fake.listed_day = DAY
    with pytest.raises(TransientError, match="still dated 2025-05-27") as error:
        source.listing(datetime.date(2025, 5, 28))
    assert "2025-05-27 20:00 US Eastern" in str(error.value) and error.value.retryable


def test_a_past_day_is_rebuilt_from_its_submission_window(source, fake, clock):
    """rss.arxiv.org has moved on: the API search of the day's submissions, approximate."""
    papers = real_papers(250)
    later = datetime.date(2025, 5, 28)
    fake.days = {later: Day(later, [], source.categories)}
    fake.listed_day = later
    fake.search = list(Day(DAY, papers, source.categories).entries().values())
    fake.reply("api")  # the first page as served
    fake.reply("api", body=drop_entries)  # then arXiv's known empty page mid-way
    listing = source.listing(DAY)

    assert listing.approximate and len(listing.announcements) == len(listing.papers) == 250
    ours = set(source.categories)
    for a in listing.announcements:
        primary = listing.papers[a.key].primary_category
        assert a.kind == ("new" if primary in ours else "cross")
    searches = [r.url for r in fake.requests_to("api")]
    assert "submittedDate%3A%5B202505231800+TO+202505261800%5D" in searches[0]
    assert "cat%3Acs.AI+OR+cat%3Acs.CL" in searches[0]
    starts = [url.split("start=")[1].split("&")[0] for url in searches]
    assert starts == ["0", "100", "100", "200"]  # resumed where the empty page stopped it
    assert BACKOFF[0] in clock.waits


def test_a_search_that_ends_short_of_its_total_is_retried_then_raised(source, fake, settings):
    fake.days = {datetime.date(2025, 5, 28): Day(datetime.date(2025, 5, 28), [], ["cs.AI"])}
    fake.listed_day = datetime.date(2025, 5, 28)
    fake.search = list(Day(DAY, real_papers(120), source.categories).entries().values())
    fake.reply("api", times=100, body=drop_last_entry)  # every page one short, for good
    with pytest.raises(TransientError, match=r"gave up after 5 tries: .* of 120 papers"):
        source.listing(DAY)


def test_generated_listings_keep_the_real_empty_listings_layout():
    """Our rendering of a listing matches the real one line for line, items aside."""
    rendered = listing_xml("physics", datetime.date(2025, 12, 31), []).decode()
    real = EMPTY_LISTING.decode()
    assert rendered.replace("05:00:00 +0000", "05:00:02 +0000") == real
