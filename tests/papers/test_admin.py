"""The admin as an editor's tool: every model listed cheaply, category fixes stick."""

import pytest
from django.urls import reverse

from papers.models import Category, Paper
from tests.conftest import REFERENCE_DAY

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(admin_client, reference_day):
    return admin_client


@pytest.mark.parametrize(
    "model",
    [
        "papers/category",
        "papers/paper",
        "digest/dailydigest",
        "digest/pipelinerun",
        "summaries/categorysummary",
    ],
)
def test_every_changelist_opens(editor, model):
    response = editor.get(f"/admin/{model}/")
    assert response.status_code == 200


def test_paper_changelist_filters_and_searches(editor):
    response = editor.get("/admin/papers/paper/", {"q": "JanusFlow"})
    assert response.status_code == 200 and response.context["cl"].result_count == 1
    response = editor.get("/admin/papers/paper/", {"category_method": "rule"})
    assert response.context["cl"].result_count == 12


def test_paper_changelist_queries_do_not_grow_per_row(editor, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        editor.get("/admin/papers/paper/")


def test_changing_a_category_in_the_admin_makes_it_an_editor_decision(editor):
    paper = Paper.objects.get(arxiv_id="2411.07461")  # BLIP3-KALE
    target = Category.objects.exclude(pk=paper.category_id).get(slug__in=["nlp", "multimodal"])
    url = reverse("admin:papers_paper_change", args=[paper.pk])
    form = editor.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k in form.fields}
    data |= {
        "category": target.pk,
        "authors": '["A"]',
        "arxiv_categories": "[]",
        "published_0": "",
        "published_1": "",
        "updated_0": "",
        "updated_1": "",
    }
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert (paper.category, paper.category_method) == (target, "editor")
    assert paper.announced_on == REFERENCE_DAY
