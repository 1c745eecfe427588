"""Editors changing the taxonomy of published days (issue 17, defect 4).

A category's slug is an editable label: renaming it must not lose its papers, summary or trend
from any published day, and its old addresses must lead to it. The fallback category that
classifiers need cannot be renamed, deactivated or deleted. Every route that sets a paper's
category (the change form, the changelist's inline column, its autocomplete, "Move to
category…") offers and accepts active categories only. All through the admin, as an editor
does it.
"""

import importlib
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.db.models import Count
from django.urls import reverse

from digest import pipeline
from digest.export import report_markdown
from digest.models import DailyDigest
from papers.models import Category, Paper
from summaries.models import CategorySummary
from tests.conftest import REFERENCE_DAY

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/papers/paper/"


@pytest.fixture
def editor(client):
    client.force_login(User.objects.create_superuser("editor", "e@example.org", "pw"))
    return client


def category_form(category: Category, **changes) -> dict:
    fields = ["slug", "name", "name_ko", "emoji", "description", "color", "order"]
    data = {field: getattr(category, field) for field in fields}
    data |= {"is_active": "on"} if category.is_active else {}
    data |= changes
    return {k: v for k, v in data.items() if v is not None}


def rename(editor, category: Category, slug: str):
    url = reverse("admin:papers_category_change", args=[category.pk])
    return editor.post(url, category_form(category, slug=slug))


def test_renaming_a_slug_keeps_every_published_page_and_the_old_addresses_lead_to_it(
    editor, reference_day
):
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    top = Category.objects.annotate(n=Count("papers")).order_by("-n", "order").first()
    papers = list(Paper.objects.filter(category=top).values_list("title", flat=True))
    summary = CategorySummary.objects.get(digest=digest, category=top)
    old = top.slug

    assert rename(editor, top, "renamed-by-editor").status_code == 302
    top.refresh_from_db()
    assert top.slug == "renamed-by-editor"

    # The day page: the section, its papers and summary, the chart's click target.
    html = editor.get(reverse("day", args=[REFERENCE_DAY])).text
    assert 'id="renamed-by-editor"' in html and f'id="{old}"' not in html
    section = html.split('id="renamed-by-editor"')[1].split('<section class="category"')[0]
    assert all(title[:40] in section for title in papers)
    figure = html.split('id="category-chart-data" type="application/json">')[1]
    figure = json.loads(figure.split("</script>")[0])["data"][0]
    assert figure["customdata"][0] == "renamed-by-editor"

    # The daily feed and the Markdown export.
    feed = ET.fromstring(editor.get(reverse("feed-daily-rss")).content)
    description = " ".join(
        d.text or "" for item in feed.iter("item") for d in item.iter("description")
    )
    assert f"{top.emoji} {top.name_ko}" in description
    assert f"## {top.emoji} {top.name}" in report_markdown(digest)
    assert summary.body.splitlines()[0] in report_markdown(digest)

    # The category page at the new slug counts the day; its feeds answer.
    page = editor.get(reverse("category", args=["renamed-by-editor"]))
    assert page.status_code == 200
    trend = page.context["figure"]["data"][0]
    assert trend["customdata"][-1][0] == len(papers)
    for name in ("feed-category-rss", "feed-category-atom", "feed-papers-rss", "feed-papers-atom"):
        assert editor.get(reverse(name, args=["renamed-by-editor"])).status_code == 200

    # The old addresses redirect, permanently, to the new ones; unknown slugs stay 404.
    assert top.previous_slugs == [old]
    for name in ("category", "feed-category-rss", "feed-category-atom", "feed-papers-rss"):
        response = editor.get(reverse(name, args=[old]))
        assert response.status_code == 301, name
        assert response["Location"] == reverse(name, args=["renamed-by-editor"])
    assert editor.get(reverse("category", args=["never-was"])).status_code == 404
    assert editor.get(reverse("feed-category-rss", args=["never-was"])).status_code == 404

    # Republishing the day (the worker's chain) keeps it whole too.
    pipeline.run_stage(REFERENCE_DAY, "publish")
    html = editor.get(reverse("day", args=[REFERENCE_DAY])).text
    assert 'id="renamed-by-editor"' in html


def test_a_slug_given_back_serves_its_new_owner_not_a_redirect(editor, reference_day):
    llm, nlp = Category.objects.get(slug="llm"), Category.objects.get(slug="nlp")
    assert rename(editor, llm, "language-models").status_code == 302
    assert rename(editor, nlp, "llm").status_code == 302  # the freed slug, taken by another
    response = editor.get(reverse("category", args=["llm"]))
    assert response.status_code == 200 and response.context["category"] == nlp
    assert editor.get(reverse("category", args=["nlp"]))["Location"] == "/categories/llm/"


def test_stored_charts_are_converted_from_slugs_to_ids_and_back(reference_day):
    migration = importlib.import_module("digest.migrations.0003_chart_by_category_id")
    digest = DailyDigest.objects.get(date=REFERENCE_DAY)
    by_id = digest.chart
    slug_of = dict(Category.objects.values_list("pk", "slug"))
    old = [{"slug": slug_of[s["category"]], **s} for s in by_id]
    for slice_ in old:
        del slice_["category"]
    DailyDigest.objects.filter(pk=digest.pk).update(chart=old)

    migration.slugs_to_ids(django_apps, None)
    digest.refresh_from_db()
    assert digest.chart == by_id
    migration.ids_to_slugs(django_apps, None)
    digest.refresh_from_db()
    assert digest.chart == old


def test_the_fallback_category_cannot_be_renamed_deactivated_or_deleted(editor, reference_day):
    other = Category.objects.get(slug="other")

    response = rename(editor, other, "misc")
    assert response.status_code == 200
    assert "기본 분야" in response.text and "슬러그를 바꿀 수 없습니다" in response.text

    url = reverse("admin:papers_category_change", args=[other.pk])
    response = editor.post(url, category_form(other, is_active=None) | {"is_active": ""})
    assert response.status_code == 200 and "비활성화할 수 없습니다" in response.text

    # The changelist's inline column.
    categories = list(Category.objects.all())
    data = {
        "form-TOTAL_FORMS": str(len(categories)),
        "form-INITIAL_FORMS": str(len(categories)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "저장",
    }
    for i, category in enumerate(categories):
        data |= {f"form-{i}-id": category.pk, f"form-{i}-order": category.order}
        if category.is_active and category != other:
            data[f"form-{i}-is_active"] = "on"
    response = editor.post(reverse("admin:papers_category_changelist"), data)
    assert response.status_code == 200 and "비활성화할 수 없습니다" in response.text

    assert editor.post(reverse("admin:papers_category_delete", args=[other.pk]), {"post": "yes"})
    other.refresh_from_db()
    assert (other.slug, other.is_active) == ("other", True)
    assert Category.objects.filter(pk=other.pk).exists()

    # So the next classify run still has its fallback.
    pipeline.run_stage(REFERENCE_DAY, "classify")


def test_the_three_editing_routes_accept_active_categories_only(editor, reference_day):
    audio = Category.objects.get(slug="audio")
    Category.objects.filter(pk=audio.pk).update(is_active=False)
    paper = Paper.objects.exclude(category=audio).order_by("arxiv_id").first()
    before = (paper.category_id, paper.category_method)

    # The autocomplete of the change form does not offer it.
    response = editor.get(
        reverse("admin:autocomplete"),
        {"term": "", "app_label": "papers", "model_name": "paper", "field_name": "category"},
    )
    offered = {int(result["id"]) for result in response.json()["results"]}
    assert audio.pk not in offered and paper.category_id in offered

    # The change form refuses it.
    url = reverse("admin:papers_paper_change", args=[paper.pk])
    form = editor.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data |= {"authors": '["A"]', "arxiv_categories": "[]", "category": audio.pk}
    data |= {f"{f}_{i}": "" for f in ("published", "updated") for i in (0, 1)}
    response = editor.post(url, data)
    assert response.status_code == 200 and "비활성" in response.text

    # The inline column refuses it.
    inline = {
        "form-TOTAL_FORMS": "1",
        "form-INITIAL_FORMS": "1",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "form-0-id": str(paper.pk),
        "form-0-category": str(audio.pk),
        "_save": "저장",
    }
    response = editor.post(f"{CHANGELIST}?q={paper.arxiv_id}", inline)
    assert response.status_code == 200 and "비활성" in response.text

    # And so does the bulk move, as it did.
    action = {"action": "move_to_category", "_selected_action": [paper.pk]}
    response = editor.post(CHANGELIST, action | {"apply": "1", "category": audio.pk})
    assert response.status_code == 200
    assert f'value="{audio.pk}"' not in response.text

    paper.refresh_from_db()
    assert (paper.category_id, paper.category_method) == before

    # A paper still in the retired category keeps it through an unrelated inline save.
    kept = Paper.objects.filter(category=audio).first() or paper
    Paper.objects.filter(pk=kept.pk).update(category=audio)
    inline |= {"form-0-id": str(kept.pk), "form-0-category": str(audio.pk)}
    response = editor.post(f"{CHANGELIST}?q={kept.arxiv_id}", inline)
    assert response.status_code == 302
    listed = editor.get(CHANGELIST, {"q": kept.arxiv_id}).text
    assert re.search(rf'<option value="{audio.pk}" selected>', listed)
