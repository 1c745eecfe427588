"""Summaries in the admin: cost per day, editors' corrections lock, regeneration is queued."""

from decimal import Decimal
from unittest import mock

import pytest
from django.urls import reverse

from digest import pipeline, tasks
from summaries.models import CategorySummary
from summaries.report import parse_markdown

pytestmark = pytest.mark.django_db


@pytest.fixture
def summaries(reference_day):
    """The reference day's offline summaries, with the usage a model run would have stored."""
    rows = list(CategorySummary.objects.order_by("pk"))
    for index, summary in enumerate(rows):
        summary.input_tokens, summary.output_tokens = 3000 + index, 900
        summary.cache_read_input_tokens = 1200
        summary.cost_usd = Decimal("0.0123")
        summary.save()
    return rows


def test_changelist_shows_tokens_and_cost_per_day_in_fixed_queries(
    admin_client, summaries, django_assert_num_queries
):
    # Pinned: rows come with their digest and category, the per-day totals are one query.
    with django_assert_num_queries(8):
        response = admin_client.get("/admin/summaries/categorysummary/")

    (day,) = response.context["day_totals"]
    count = len(summaries)
    assert day["summaries"] == count == 7
    assert day["input_tokens"] == sum(s.input_tokens for s in summaries)
    assert day["cache_read"] == count * 1200 and day["output_tokens"] == count * 900
    assert day["cost"] == Decimal("0.0861") == count * Decimal("0.0123")
    assert "0.0861" in response.content.decode()


def _edit(client, summary, body: str, locked: bool = False):
    url = reverse("admin:summaries_categorysummary_change", args=[summary.pk])
    data = {"body": body}
    if locked:
        data["locked"] = "on"
    return client.post(url, data)


def test_an_editors_correction_rewrites_the_sections_and_locks_the_summary(admin_client, summaries):
    summary = summaries[0]
    body = summary.body.replace("   - ", "   - 편집자: ", 1)

    response = _edit(admin_client, summary, body)

    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.locked and summary.edited_at is not None
    assert summary.sections == parse_markdown(body, "ko").to_dict()
    assert summary.sections["themes"][0].startswith("편집자: ")


def test_an_edit_that_breaks_the_structure_or_cites_another_day_is_refused(admin_client, summaries):
    summary = summaries[0]
    headless = summary.body.split("\n", 1)[1]
    response = _edit(admin_client, summary, headless)
    assert "expected a numbered heading" in str(response.context["adminform"].form.errors)

    findings = summary.sections["findings"]
    ref = findings[0]["refs"][0]
    response = _edit(admin_client, summary, summary.body.replace(f"[{ref}", "[2501.00001", 1))
    assert "이날의 논문이 아닙니다: 2501.00001" in str(response.context["adminform"].form.errors)
    summary.refresh_from_db()
    assert not summary.locked


def test_regenerate_action_queues_the_days_summarise_stage_which_rewrites_the_unlocked_ones(
    admin_client, summaries, django_capture_on_commit_callbacks
):
    locked, stale = summaries[0], summaries[1]
    CategorySummary.objects.filter(pk=locked.pk).update(locked=True)
    data = {"action": "regenerate", "_selected_action": [locked.pk, stale.pk]}

    with (
        mock.patch.object(tasks, "trigger", autospec=True) as trigger,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = admin_client.post("/admin/summaries/categorysummary/", data, follow=True)

    assert len(callbacks) == 1  # the stage is queued once the transaction commits
    message = "Marked 1 summaries for regeneration; 1 locked ones skipped."
    assert message in response.content.decode()
    day = stale.digest.date
    trigger.assert_called_once_with(day, first="summarise", force=True)
    counts = pipeline.run_stage(day, "summarise")  # what the queued stage runs, under its claim
    assert counts["written"] == 1
    stale.refresh_from_db()
    assert not stale.needs_regeneration and stale.input_tokens == 0  # rewritten offline


def test_unlock_action(admin_client, summaries):
    CategorySummary.objects.update(locked=True)
    data = {"action": "unlock", "_selected_action": [s.pk for s in summaries[:2]]}

    admin_client.post("/admin/summaries/categorysummary/", data)

    assert CategorySummary.objects.filter(locked=True).count() == len(summaries) - 2
