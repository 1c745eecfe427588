"""Editors in the loop: the review queue, inline and bulk corrections, decisions that stick
through every re-run, and stale summaries rebuilt with the chart."""

from unittest import mock

import pytest

from digest import pipeline, tasks
from digest.models import DailyDigest
from papers import assignment
from papers.models import Category, Paper
from summaries.models import CategorySummary
from tests.conftest import DEMO_DAY, chart_slugs, inline_category_change
from tests.papers.test_classifier import shipped_model  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/papers/paper/"


@pytest.fixture
def model_day(make_day, shipped_model):  # noqa: F811
    """Sixty real papers of the demo day, built end to end with the shipped model."""
    make_day(60)
    pipeline.build_digest(DEMO_DAY)
    return DEMO_DAY


@pytest.fixture
def trigger():
    with mock.patch.object(tasks, "trigger", autospec=True) as fake:
        yield fake


def test_the_day_is_classified_by_the_model_with_confidences(model_day, shipped_model):  # noqa: F811
    papers = Paper.objects.filter(digests__date=model_day)
    assert set(papers.values_list("category_method", flat=True)) == {"model"}
    assert all(0 < p.category_confidence <= 1 for p in papers)
    run = DailyDigest.objects.get(date=model_day)
    assert run.status == DailyDigest.Status.PUBLISHED
    counts = pipeline.run_stage(model_day, "classify")
    assert counts["classifier"] == f"model v{shipped_model.version}" and counts["changed"] == 0
    assert counts["review"] == papers.filter(category_confidence__lt=0.6).count()


def test_editor_and_imported_decisions_survive_classify_and_whole_rebuilds(model_day):
    robotics, audio = Category.objects.get(slug="robotics"), Category.objects.get(slug="audio")
    papers = Paper.objects.order_by("arxiv_id")
    edited = assignment.assign_by_editor(papers.filter(pk=papers[0].pk), robotics)
    imported = papers[1]
    imported.category, imported.category_method, imported.category_confidence = audio, "imported", 1
    imported.save()

    pipeline.run_stage(model_day, "classify")
    pipeline.build_digest(model_day)
    pipeline.build_digest(model_day)

    for paper, slug, method in [(edited[0], "robotics", "editor"), (imported, "audio", "imported")]:
        paper.refresh_from_db()
        assert (paper.category.slug, paper.category_method, paper.category_confidence) == (
            slug,
            method,
            1.0,
        )
    robotics_summary = CategorySummary.objects.get(digest__date=model_day, category=robotics)
    assert robotics_summary.papers.filter(pk=edited[0].pk).exists()
    chart = DailyDigest.objects.get(date=model_day).chart
    chart = dict(zip(chart_slugs(chart), [s["count"] for s in chart], strict=True))
    assert chart["robotics"] == Paper.objects.filter(category=robotics).count()


def test_the_review_queue_holds_low_confidence_machine_decisions_only(model_day, admin_client):
    # How many of the day's decisions the shipped model is unsure of depends on the model:
    # three are made unsure here, whatever it is.
    machine = Paper.objects.filter(category_method="model").order_by("pk")
    for confidence, paper in zip((0.3, 0.4, 0.5), machine[:3], strict=True):
        Paper.objects.filter(pk=paper.pk).update(category_confidence=confidence)
    low = Paper.objects.filter(category_confidence__lt=0.6).order_by("category_confidence", "pk")
    first = low.first()
    assignment.assign_by_editor(low.filter(pk=first.pk), first.category)  # confirmed: locked

    response = admin_client.get(CHANGELIST, {"review": "yes"})
    shown = list(response.context["cl"].queryset)
    assert first not in shown and shown
    assert shown == list(low.filter(category_method="model"))
    assert "신뢰도 0.60 미만인 기계 결정" in response.content.decode()


@pytest.mark.parametrize(
    ("band", "check"),
    [
        ("low", lambda c: c < 0.6),
        ("medium", lambda c: 0.6 <= c < 0.8),
        ("high", lambda c: c >= 0.8),
    ],
)
def test_confidence_bands_filter_the_changelist(model_day, admin_client, band, check):
    response = admin_client.get(CHANGELIST, {"confidence": band})
    confidences = [p.category_confidence for p in response.context["cl"].queryset]
    assert all(check(c) for c in confidences)
    assert len(confidences) == sum(
        check(c) for c in Paper.objects.values_list("category_confidence", flat=True)
    )


def test_the_changelist_filters_by_date_category_and_method_and_searches_ids(
    model_day, admin_client
):
    paper = Paper.objects.order_by("arxiv_id").first()
    response = admin_client.get(CHANGELIST, {"q": paper.arxiv_id})
    assert list(response.context["cl"].queryset) == [paper]
    response = admin_client.get(
        CHANGELIST,
        {
            "announced_on": model_day.isoformat(),
            "category__id__exact": paper.category_id,
            "category_method__exact": "model",
        },
    )
    assert set(response.context["cl"].queryset) == set(
        Paper.objects.filter(category=paper.category)
    )


def test_the_review_queue_page_runs_a_fixed_number_of_queries(
    model_day, admin_client, django_assert_num_queries
):
    admin_client.get(CHANGELIST)  # sessions and permissions warmed up
    # session, user, the two counts, the page of papers, the category and date filters, the
    # inline column's categories
    with django_assert_num_queries(9):
        response = admin_client.get(CHANGELIST, {"review": "yes"})
    assert response.status_code == 200


def test_an_inline_correction_is_an_editor_decision_with_stale_summaries(
    model_day, admin_client, trigger, django_capture_on_commit_callbacks
):
    paper = Paper.objects.exclude(category__slug="robotics").order_by("arxiv_id").first()
    previous = paper.category
    robotics = Category.objects.get(slug="robotics")
    data = inline_category_change(paper, robotics)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"{CHANGELIST}?q={paper.arxiv_id}", data)
    assert response.status_code == 302
    paper.refresh_from_db()
    assert (paper.category, paper.category_method, paper.category_confidence) == (
        robotics,
        "editor",
        1.0,
    )
    stale = CategorySummary.objects.filter(digest__date=model_day, needs_regeneration=True)
    assert set(stale.values_list("category", flat=True)) == {previous.pk, robotics.pk}
    assert all(f"moved from {previous.slug}" in s.regeneration_reason for s in stale)
    trigger.assert_called_once_with(model_day, first="summarise", force=True)


def test_moving_papers_in_bulk_asks_for_the_category_then_moves_them(
    model_day, admin_client, trigger, django_capture_on_commit_callbacks
):
    vision = Paper.objects.filter(category__slug="computer-vision").order_by("arxiv_id")[:3]
    ids = [str(p.pk) for p in vision]
    multimodal = Category.objects.get(slug="multimodal")
    action = {"action": "move_to_category", "_selected_action": ids}

    page = admin_client.post(CHANGELIST, action)
    assert page.status_code == 200
    html = page.content.decode()
    assert all(p.title[:40] in html for p in vision) and 'name="category"' in html

    with django_capture_on_commit_callbacks(execute=True):
        done = admin_client.post(CHANGELIST, action | {"apply": "1", "category": multimodal.pk})
    assert done.status_code == 302
    moved = Paper.objects.filter(pk__in=ids)
    assert set(moved.values_list("category__slug", "category_method")) == {("multimodal", "editor")}
    stale = CategorySummary.objects.filter(digest__date=model_day, needs_regeneration=True)
    assert set(stale.values_list("category__slug", flat=True)) == {
        "computer-vision",
        "multimodal",
    }
    trigger.assert_called_once_with(model_day, first="summarise", force=True)

    # The worker's run of the chain: the summaries are rewritten and the chart follows.
    pipeline.run_stage(model_day, "summarise")
    pipeline.run_stage(model_day, "publish")
    assert not CategorySummary.objects.filter(needs_regeneration=True).exists()
    chart = DailyDigest.objects.get(date=model_day).chart
    chart = dict(zip(chart_slugs(chart), [s["count"] for s in chart], strict=True))
    assert chart["multimodal"] == Paper.objects.filter(category=multimodal).count()
    summary = CategorySummary.objects.get(digest__date=model_day, category=multimodal)
    assert set(moved) <= set(summary.papers.all()) or summary.paper_count == chart["multimodal"]


def test_a_bulk_move_without_a_category_changes_nothing(model_day, admin_client):
    before = list(Paper.objects.values_list("pk", "category", "category_method"))
    ids = [str(pk) for pk, _, _ in before[:2]]
    response = admin_client.post(
        CHANGELIST, {"action": "move_to_category", "_selected_action": ids, "apply": "1"}
    )
    assert response.status_code == 200 and "category" in response.context["form"].errors
    assert list(Paper.objects.values_list("pk", "category", "category_method")) == before
