"""The data model's constraints hold in the database, not only in forms."""

import datetime

import pytest
from django.db import IntegrityError, connection, transaction

from digest.models import DailyDigest, PipelineRun
from papers.models import Category, Paper
from summaries.models import CategorySummary

pytestmark = pytest.mark.django_db
DAY = datetime.date(2025, 5, 27)


def paper(**fields) -> Paper:
    values = {
        "title": "A paper",
        "abs_url": "https://arxiv.org/abs/2505.00001",
        "announced_on": DAY,
    }
    return Paper(**{**values, **fields})


def violates(make) -> bool:
    try:
        with transaction.atomic():
            make()
    except IntegrityError:
        return True
    return False


def test_default_taxonomy_is_complete():
    categories = list(Category.objects.all())
    assert [c.slug for c in categories] == [
        "llm",
        "nlp",
        "computer-vision",
        "multimodal",
        "audio",
        "reinforcement-learning",
        "robotics",
        "model-training",
        "inference-acceleration",
        "safety-ethics",
        "graphs-tabular",
        "information-retrieval",
        "ai-for-science",
        "other",
    ]
    for category in categories:
        assert category.emoji and category.name_ko and category.is_active
        assert len(category.description) > 60
    assert len({c.color for c in categories}) == 14
    assert str(Category.objects.get(slug="multimodal")) == "❄️ Multimodal"


def test_arxiv_id_is_unique():
    paper(arxiv_id="2505.00001").save()
    assert violates(lambda: paper(arxiv_id="2505.00001", abs_url="https://x.org/other").save())


def test_papers_without_arxiv_id_are_unique_by_url():
    url = "https://deeplearn.org/arxiv/547085/learnability"
    paper(abs_url=url).save()
    paper(abs_url="https://deeplearn.org/arxiv/1/other").save()
    assert violates(lambda: paper(abs_url=url).save())


def test_inserting_papers_in_bulk_stores_every_field_and_gives_each_its_key():
    """PaperQuerySet.insert (COPY on PostgreSQL) stores what save() would, search vector too."""
    by_id = paper(
        arxiv_id="2505.00001",
        title='Sparse $\\alpha$-attention, "quoted"\ttabbed',
        abstract="Line one.\nLine two \\ with a backslash.",
        authors=["Ada Lovelace", "김철수"],
        arxiv_categories=["cs.CL", "cs.LG"],
        published=datetime.datetime(2025, 5, 26, 17, 59, tzinfo=datetime.UTC),
    )
    by_url = paper(arxiv_id=None, abs_url="https://deeplearn.org/arxiv/1/other", source="deeplearn")
    Paper.objects.insert([by_id, by_url])

    for inserted in (by_id, by_url):
        assert inserted.pk is not None and not inserted._state.adding
        stored = Paper.objects.get(pk=inserted.pk)
        for name in ("arxiv_id", "title", "abstract", "authors", "arxiv_categories", "published"):
            assert getattr(stored, name) == getattr(inserted, name)
        assert stored.created_at and stored.updated_at and stored.source == inserted.source
    by_id.title = "Renamed"
    by_id.save()  # an update of the inserted row, not a second row
    assert Paper.objects.count() == 2 and Paper.objects.get(pk=by_id.pk).title == "Renamed"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM papers_paper WHERE search_vector @@ 'backslash'")
            assert cursor.fetchone() == (1,)


def test_inserting_a_paper_twice_is_an_integrity_error():
    Paper.objects.insert([paper(arxiv_id="2505.00001")])
    assert violates(lambda: Paper.objects.insert([paper(arxiv_id="2505.00001")]))


def test_confidence_must_be_a_probability():
    other = Category.objects.get(slug="other")
    assert violates(
        lambda: paper(category=other, category_method="rule", category_confidence=1.5).save()
    )


def test_a_category_needs_the_method_that_decided_it():
    assert violates(lambda: paper(category=Category.objects.get(slug="llm")).save())


def test_category_colour_is_hex():
    assert violates(
        lambda: Category.objects.create(slug="x", name="X", name_ko="엑스", emoji="x", color="red")
    )


def test_one_digest_per_date():
    DailyDigest.objects.create(date=DAY)
    assert violates(lambda: DailyDigest.objects.create(date=DAY))


def test_one_summary_per_digest_category_and_language():
    digest = DailyDigest.objects.create(date=DAY)
    llm = Category.objects.get(slug="llm")
    values = {"sections": {}, "body": "", "paper_count": 1, "generator": "offline", "input_key": ""}
    CategorySummary.objects.create(digest=digest, category=llm, language="ko", **values)
    CategorySummary.objects.create(digest=digest, category=llm, language="en", **values)
    assert violates(
        lambda: CategorySummary.objects.create(digest=digest, category=llm, language="ko", **values)
    )


def test_only_one_running_claim_per_date_and_stage():
    PipelineRun.objects.create(date=DAY, stage="ingest")
    PipelineRun.objects.create(date=DAY, stage="classify")
    assert violates(lambda: PipelineRun.objects.create(date=DAY, stage="ingest"))


def test_a_finished_run_has_a_finish_time():
    assert violates(lambda: PipelineRun.objects.create(date=DAY, stage="ingest", status="failed"))
