"""Storing papers, the bundled demo source's completeness, `manage.py ingest`, and where the
counts show: the admin and the day page."""

import datetime
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from digest import pipeline
from digest.models import DailyDigest, PipelineRun
from papers.models import Paper
from papers.sources import PaperRecord
from papers.store import store_papers
from tests.conftest import DEMO_DAY, REFERENCE_DAY
from tests.fixtures.arxiv.server import real_papers

pytestmark = pytest.mark.django_db


def records(papers: list[dict], version: int = 1) -> list[PaperRecord]:
    return [
        PaperRecord.from_arxiv(
            p["arxiv_id"],
            p["title"],
            version=version,
            abstract=p["abstract"],
            authors=p["authors"],
            primary_category=p["primary_category"],
            arxiv_categories=p["categories"],
        )
        for p in papers
    ]


def test_a_1500_paper_day_is_stored_in_a_handful_of_queries(django_assert_num_queries):
    papers = real_papers()
    day = (
        records(papers)
        + [  # re-keyed copies of the real day, to reach 1,500
            PaperRecord.from_arxiv(f"2505.9{n:04d}", r.title, abstract=r.abstract)
            for n, r in enumerate(records(papers * 2)[: 1500 - len(papers)])
        ]
    )
    # the stored rows, one COPY of the new ones (PaperQuerySet.insert), then their ids
    with django_assert_num_queries(3):
        result = store_papers(day, announced_on=DEMO_DAY)
    assert result.created == Paper.objects.count() == 1500
    with django_assert_num_queries(1):
        again = store_papers(day, announced_on=DEMO_DAY)
    assert again.unchanged == 1500 and again.created == again.updated == 0


def test_a_newer_version_updates_in_place_and_marks_a_revision():
    papers = real_papers(3)
    store_papers(records(papers), announced_on=DEMO_DAY)
    changed = [papers[0] | {"abstract": "Rewritten."}, papers[1] | {"comment": "v2: typos"}]
    result = store_papers(records(changed, version=2), announced_on=datetime.date(2025, 6, 2))
    assert (result.updated, result.revised, result.created) == (2, 1, 0)
    rewritten, retyped = (Paper.objects.get(arxiv_id=p["arxiv_id"]) for p in papers[:2])
    assert (rewritten.version, rewritten.abstract) == (2, "Rewritten.")
    assert rewritten.revised_at is not None and rewritten.announced_on == DEMO_DAY
    assert retyped.version == 2 and retyped.revised_at is None  # only the metadata changed

    old = store_papers(records(papers[:1]), announced_on=DEMO_DAY)  # v1 again: ignored
    assert old.unchanged == 1 and Paper.objects.get(pk=rewritten.pk).abstract == "Rewritten."
    assert Paper.objects.count() == 3


def test_the_bundled_day_records_its_completeness(make_day):
    make_day(40)
    counts = pipeline.run_stage(DEMO_DAY, "ingest")
    digest = DailyDigest.objects.get()
    assert digest.is_complete and not digest.approximate
    assert counts["listed"] == counts["stored"] == 40 and counts["complete"]
    assert (digest.announced_new, digest.announced_cross, digest.announced_replace) == (
        counts["new"],
        counts["cross"],
        0,
    )
    assert digest.papers.count() == 40 and len(digest.listing) == 40


def test_the_reference_day_links_its_popularity(reference_day):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    assert digest.is_complete and digest.announced == 12
    run = PipelineRun.objects.get(date=REFERENCE_DAY, stage="ingest")
    assert run.counts["with_upvotes"] == 5  # the HF page lists 5 of the day's arXiv papers
    assert Paper.objects.get(arxiv_id="2411.07184").hf_comments == 1


def test_the_ingest_command_reports_progress_and_counts(capsys, make_day):
    make_day(25)
    call_command("ingest", "2025-05-27")
    out = capsys.readouterr().out
    assert "Ingesting 2025-05-27 from bundled" in out
    assert "listing of 2025-05-27: 25 papers, new" in out
    assert "2025-05-27: 25 of 25 listed papers stored (complete); created 25" in out
    assert PipelineRun.objects.get().status == "succeeded"


def test_the_ingest_command_says_when_there_is_no_announcement(capsys):
    call_command("ingest", "2025-05-31", "--source", "bundled")
    out = capsys.readouterr().out
    assert "No announcement on 2025-05-31: arXiv makes no announcement dated a Saturday" in out
    assert DailyDigest.objects.get().status == "no_announcement"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["2025-02-30"], "Invalid date '2025-02-30'"),
        (["2099-01-01"], "2099-01-01 is in the future"),
        (["2025-05-28"], "No data for 2025-05-28"),
        (["2025-05-27", "--source", "deeplearn"], "invalid choice: 'deeplearn'"),
    ],
)
def test_the_ingest_command_refuses_bad_input_changing_nothing(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("ingest", *arguments)
    assert not Paper.objects.exists() and not DailyDigest.objects.exists()


@pytest.fixture
def days(make_day):
    """A complete day, an incomplete one, and a day without announcement."""
    make_day(10)
    pipeline.build_digest(DEMO_DAY)
    short = DailyDigest.objects.create(
        date=datetime.date(2025, 5, 26),
        status="ingested",
        announced_new=5,
        announced_cross=1,
        announced_replace=2,
        stored_new=5,
        stored_cross=1,
        stored_replace=0,
        approximate=True,
        published_at=DailyDigest.objects.get().published_at,
        listing=[["2505.00001", 1, "new"]] * 8,
    )
    call_command("ingest", "2025-05-31")
    return short


def test_completeness_is_a_queryset(days):
    assert list(DailyDigest.objects.incomplete()) == [days]
    assert DailyDigest.objects.with_announcement().count() == 2


def test_the_admin_lists_completeness_without_a_query_per_row(
    admin_client, days, django_assert_num_queries
):
    # session, user, two counts, the page of digests, the date hierarchy's range and days
    with django_assert_num_queries(7):
        response = admin_client.get("/admin/digest/dailydigest/")
    html = response.text
    assert "10/10 (9/9, 1/1, 0/0)" in html and "6/8 (5/5, 1/1, 0/2)" in html
    assert response.context["cl"].result_count == 3
    assert (
        admin_client.get("/admin/digest/dailydigest/", {"approximate__exact": "1"})
        .context["cl"]
        .result_count
        == 1
    )


def test_the_day_page_shows_completeness(client, days, django_assert_num_queries):
    html = client.get(reverse("day", args=[DEMO_DAY])).text
    assert 'class="completeness"' in html and 'class="incomplete"' not in html
    with django_assert_num_queries(7):  # as tests/reader/test_views.py pins it
        html = client.get(reverse("day", args=[days.date])).text
    assert 'class="incomplete"' in html and 'class="approximate"' in html
    saturday = client.get(reverse("day", args=[datetime.date(2025, 5, 31)])).text
    assert 'class="no-announcement"' in saturday and "plotly" not in saturday


def test_a_listing_is_kept_as_json_rows(make_day):
    make_day(3)
    pipeline.run_stage(DEMO_DAY, "ingest")
    listing = DailyDigest.objects.values_list("listing", flat=True).get()
    assert json.loads(json.dumps(listing)) == [[p["arxiv_id"], 1, "new"] for p in real_papers(3)]
