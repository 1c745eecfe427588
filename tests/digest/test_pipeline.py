"""The whole day, built from real bundled data: idempotent, editor-safe, and strict about input."""

import datetime
import json

import pytest
from django.db import connection
from django.utils import timezone

from digest import pipeline, runs
from digest.management.day_command import parse_day
from digest.models import DailyDigest, PipelineRun
from papers.models import Category, Paper
from papers.sources import NoDataError, SourceError
from summaries.models import CategorySummary
from tests.conftest import DEMO_DAY, REFERENCE_DAY, chart_slugs

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    through = {
        "digest_papers": DailyDigest.papers.through,
        "summary_papers": CategorySummary.papers.through,
    }
    counts = {m.__name__: m.objects.count() for m in (Paper, DailyDigest, CategorySummary)}
    return counts | {name: model.objects.count() for name, model in through.items()}


def test_reference_day_is_built_and_published(reference_day):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    assert digest.status == DailyDigest.Status.PUBLISHED and digest.published_at
    assert digest.papers.count() == 12
    # The six arXiv papers keep their ids and versions; the six deeplearn.org ones their URLs.
    teacher = Paper.objects.get(arxiv_id="2411.07133")
    assert teacher.version == 2 and teacher.upvotes == 7
    assert teacher.abs_url == "https://arxiv.org/abs/2411.07133"
    assert Paper.objects.filter(arxiv_id__isnull=True, source="deeplearn").count() == 6
    assert sum(s["count"] for s in digest.chart) == 12
    assert [s["count"] for s in digest.chart] == sorted(
        (s["count"] for s in digest.chart), reverse=True
    )
    runs = PipelineRun.objects.filter(date=REFERENCE_DAY)
    assert sorted(runs.values_list("stage", "status")) == sorted(
        (stage, "succeeded") for stage in pipeline.STAGES
    )
    assert runs.get(stage="ingest").counts["created"] == 12


def test_every_category_of_the_day_has_a_cited_five_part_summary(reference_day):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    categories = set(digest.papers.values_list("category__slug", flat=True))
    summaries = digest.summaries.select_related("category")
    assert {s.category.slug for s in summaries} == categories
    for summary in summaries:
        assert summary.language == "ko" and summary.generator == "offline"
        assert all(
            summary.sections[key] for key in ("themes", "trends", "findings", "impact", "outlook")
        )
        assert "LLM 없이" in summary.body
        own = set(digest.papers.filter(category=summary.category).values_list("pk", flat=True))
        cited = set(summary.papers.values_list("pk", flat=True))
        assert cited and cited <= own
        assert summary.paper_count == len(own)


def test_building_three_times_changes_nothing(make_day):
    make_day(60)
    pipeline.build_digest(DEMO_DAY)
    first = row_counts()
    summaries = dict(CategorySummary.objects.values_list("pk", "updated_at"))
    for _ in range(2):
        pipeline.build_digest(DEMO_DAY)
    assert row_counts() == first
    assert first["Paper"] == 60 and first["digest_papers"] == 60
    assert dict(CategorySummary.objects.values_list("pk", "updated_at")) == summaries
    ids = list(Paper.objects.values_list("arxiv_id", flat=True))
    assert len(ids) == len(set(ids))
    assert PipelineRun.objects.filter(status="succeeded").count() == 12


def test_an_editor_decision_survives_every_rebuild(make_day):
    make_day(30)
    pipeline.build_digest(DEMO_DAY)
    paper = Paper.objects.exclude(category__slug="robotics").first()
    paper.assign_by_editor(Category.objects.get(slug="robotics"))
    paper.save()

    pipeline.build_digest(DEMO_DAY)
    paper.refresh_from_db()
    assert paper.category.slug == "robotics" and paper.category_method == "editor"
    robotics = CategorySummary.objects.get(category__slug="robotics")
    assert robotics.papers.filter(pk=paper.pk).exists()
    assert "robotics" in chart_slugs(DailyDigest.objects.get().chart)


def test_a_new_version_updates_the_paper_in_place(make_day):
    make_day(10)
    pipeline.build_digest(DEMO_DAY)
    target = Paper.objects.order_by("arxiv_id").first()

    def bump(row):
        if row["arxiv_id"] == target.arxiv_id:
            row |= {"arxiv_id": f"{target.arxiv_id}v3", "title": "A revised title"}
        return row

    make_day(10, edit=bump)
    counts = pipeline.run_stage(DEMO_DAY, "ingest")
    assert counts["updated"] == 1 and counts["created"] == 0
    target.refresh_from_db()
    assert (target.version, target.title) == (3, "A revised title")
    assert Paper.objects.count() == 10

    # Re-reading the older listing never rolls the paper back.
    make_day(10)
    pipeline.run_stage(DEMO_DAY, "ingest")
    target.refresh_from_db()
    assert (target.version, target.title) == (3, "A revised title")


def test_a_changed_abstract_rewrites_only_its_category(make_day):
    make_day(40)
    pipeline.build_digest(DEMO_DAY)
    before = dict(CategorySummary.objects.values_list("category__slug", "updated_at"))
    target = Paper.objects.order_by("arxiv_id").first()

    def revise(row):
        if row["arxiv_id"] == target.arxiv_id:
            row["abstract"] += " We release our code and models."
        return row

    make_day(40, edit=revise)
    pipeline.build_digest(DEMO_DAY)
    after = dict(CategorySummary.objects.values_list("category__slug", "updated_at"))
    changed = {slug for slug in after if after[slug] != before.get(slug)}
    old_slug, new_slug = target.category.slug, Paper.objects.get(pk=target.pk).category.slug
    assert changed == {old_slug, new_slug}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-13-01", "expected YYYY-MM-DD"),
        ("2025-02-30", "expected YYYY-MM-DD"),
        ("yesterday", "expected YYYY-MM-DD"),
        ("", "expected YYYY-MM-DD"),
    ],
)
def test_malformed_dates_are_refused(text, message):
    with pytest.raises(runs.PipelineError, match=message):
        parse_day(text)


def test_future_dates_are_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(runs.PipelineError, match="in the future"):
        parse_day(tomorrow.isoformat())


def test_a_day_without_data_changes_nothing(data_dir):
    (data_dir / REFERENCE_DAY.isoformat()).mkdir()
    with pytest.raises(NoDataError, match="No data for 2025-05-28"):
        pipeline.build_digest(datetime.date(2025, 5, 28))
    assert set(row_counts().values()) == {0}
    assert PipelineRun.objects.get().status == "failed"


def test_a_corrupt_file_changes_nothing(make_day):
    make_day(20)
    pipeline.build_digest(DEMO_DAY)
    before = row_counts()
    path = make_day(25)
    lines = path.read_text().splitlines()
    lines[21] = lines[21][: len(lines[21]) // 2]  # a truncated record on line 22
    path.write_text("\n".join(lines))

    with pytest.raises(SourceError, match=r"arxiv.jsonl:22: malformed paper record"):
        pipeline.build_digest(DEMO_DAY)
    assert row_counts() == before
    failed = PipelineRun.objects.get(status="failed")
    assert failed.stage == "ingest" and "arxiv.jsonl:22" in failed.error


def test_a_record_without_title_is_reported_with_its_line(make_day):
    make_day(3, edit=lambda row: row | {"title": " "})
    with pytest.raises(SourceError, match=r"arxiv.jsonl:1: .*empty title"):
        pipeline.run_stage(DEMO_DAY, "ingest")
    assert Paper.objects.count() == 0


def test_stages_need_the_stage_before_them():
    with pytest.raises(runs.PipelineError, match="run ingest first"):
        pipeline.run_stage(DEMO_DAY, "classify")


def test_a_stage_already_running_is_not_run_twice(make_day):
    make_day(5)
    PipelineRun.objects.create(date=DEMO_DAY, stage="ingest")
    with pytest.raises(runs.StageBusy):
        pipeline.run_stage(DEMO_DAY, "ingest")
    assert Paper.objects.count() == 0


def test_an_abandoned_claim_is_taken_over(make_day, settings):
    make_day(5)
    stale = PipelineRun.objects.create(date=DEMO_DAY, stage="ingest")
    PipelineRun.objects.filter(pk=stale.pk).update(
        started_at=timezone.now() - datetime.timedelta(seconds=settings.DIGEST_STAGE_TIMEOUT + 1)
    )
    pipeline.run_stage(DEMO_DAY, "ingest")
    stale.refresh_from_db()
    assert stale.status == "failed" and "Abandoned" in stale.error
    assert Paper.objects.count() == 5


def test_ingest_stores_a_day_in_a_handful_of_queries(make_day, django_assert_max_num_queries):
    make_day(300)
    # and its related papers (papers.related): theirs, the archive's size and texts, the new
    # rows in a transaction
    with django_assert_max_num_queries(28):
        pipeline.run_stage(DEMO_DAY, "ingest")
    assert Paper.objects.count() == 300 and connection.vendor in {"postgresql", "sqlite"}


def test_listing_fields_are_stored_faithfully(make_day):
    path = make_day(649)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    pipeline.run_stage(DEMO_DAY, "ingest")
    row = next(r for r in rows if r["comment"] and len(r["categories"]) > 2)
    paper = Paper.objects.get(arxiv_id=row["arxiv_id"])
    assert paper.arxiv_categories == row["categories"]
    assert paper.primary_category == row["primary_category"]
    assert paper.authors == row["authors"]
    assert paper.title == " ".join(row["title"].split())
    assert "\n" not in paper.abstract and paper.abstract.split() == row["abstract"].split()
    assert paper.pdf_url == f"https://arxiv.org/pdf/{row['arxiv_id']}"
    assert paper.announced_on == DEMO_DAY
