"""The admin as an editor's tool (issue 17, defect 9): Korean throughout, under the product's own
name, and a review queue an editor can work through without opening a paper: confidence, the
runner-up category and the abstract's first lines on every row, and the decision one click
away. "Move to category…" preselects nothing."""

import re
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.db.models import F
from django.urls import reverse

from papers import assignment
from papers.classifiers.rules import Decision
from papers.models import Category, Paper

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/papers/paper/"
# English an editor met in the Korean admin before (model and field names, the filters, the
# actions, the move page, the header). None of it may show any more.
ENGLISH = [
    "Django 관리",
    "paper 선택",
    "category 선택",
    ">Papers<",
    ">Categories<",
    "Daily digests",
    "Pipeline runs",
    "Category summaries",
    "review queue",
    "Machine decisions below",
    "Move to category",
    "Re-run the",
    "Regenerate selected",
    "Unlock selected",
    ">Announced on<",
    ">Category method<",
    ">Primary arXiv category<",
    ">Upvotes<",
    ">Title<",
    ">Abstract<",
    ">Status<",
    ">Stage<",
    ">Language<",
    ">Generator<",
    ">Locked<",
    "The category you choose",
    'value="Move"',
    "no category",
]


@pytest.fixture
def editor(client):
    client.force_login(User.objects.create_superuser("editor", "e@example.org", "pw"))
    return client


def english_in(html: str) -> list[str]:
    return [text for text in ENGLISH if text in unescape(html)]


def test_the_admin_is_korean_throughout_under_the_products_name(editor, reference_day):
    paper = Paper.objects.order_by("arxiv_id").first()
    pages = {
        "index": reverse("admin:index"),
        "papers": reverse("admin:papers_paper_changelist"),
        "review queue": reverse("admin:papers_paper_changelist") + "?review=yes",
        "paper": reverse("admin:papers_paper_change", args=[paper.pk]),
        "categories": reverse("admin:papers_category_changelist"),
        "digests": reverse("admin:digest_dailydigest_changelist"),
        "runs": reverse("admin:digest_pipelinerun_changelist"),
        "summaries": reverse("admin:summaries_categorysummary_changelist"),
    }
    for name, url in pages.items():
        html = editor.get(url).text
        assert english_in(html) == [], name
        assert "Daily AI Insights 편집" in html, name
    papers = editor.get(pages["papers"]).text
    assert "변경할 논문 선택" in papers and "분야로 옮기기…" in papers
    assert "검토 대기열" in papers and "결정 주체" in papers
    change = editor.get(pages["paper"]).text
    assert all(label in change for label in ("제목", "초록", "저자", "발표일", "차순위 분야"))

    # The move page: Korean, and nothing preselected.
    action = {"action": "move_to_category", "_selected_action": [paper.pk]}
    move = editor.post(CHANGELIST, action).text
    assert english_in(move) == [] and "논문을 다른 분야로 옮기기" in move
    choices = move.split('name="category"')[1].split("</select>")[0]
    assert "selected" not in choices.split("</option>", 1)[1]
    assert re.search(r'<option value="" selected>', choices)


def test_machine_decisions_store_their_runner_up(reference_day):
    machine = Paper.objects.exclude(category_method__in=Paper.LOCKED_METHODS)
    with_runner_up = machine.filter(category_runner_up__isnull=False)
    assert with_runner_up.exists()
    assert not with_runner_up.filter(category_runner_up=F("category")).exists()

    # Claude choosing otherwise than the local model: the model's choice is the runner-up.
    categories = {c.slug: c for c in Category.objects.active()}
    local = Decision("nlp", 0.55, "model", runner_up="llm", runner_up_confidence=0.3)
    claude = Decision("llm", 0.3, "llm")
    assert assignment._runner_up(claude, local, categories) == (categories["nlp"].pk, 0.55)
    assert assignment._runner_up(local, local, categories) == (categories["llm"].pk, 0.3)

    # An editor's decision has none.
    paper = with_runner_up.first()
    assignment.assign_by_editor(Paper.objects.filter(pk=paper.pk), paper.category)
    paper.refresh_from_db()
    assert (paper.category_runner_up, paper.category_runner_up_confidence) == (None, None)


def test_the_review_queue_shows_what_to_decide_and_decides_in_one_click(
    editor, reference_day, django_assert_num_queries
):
    queue = assignment.review_queue(Paper.objects.all()).filter(category_runner_up__isnull=False)
    first, second = queue.order_by("category_confidence", "pk")[:2]
    editor.get(CHANGELIST)  # sessions and permissions warmed up
    # session, user, the two counts, the page of papers (with category and runner-up joined),
    # the category and date filters, the inline column's categories
    with django_assert_num_queries(9):
        response = editor.get(CHANGELIST, {"review": "yes"})
    html = unescape(response.text)
    before, after = html.split(f'value="{first.pk}:', 1)
    row = before.rsplit("<tr", 1)[1] + after.split("</tr>")[0]
    assert f"{first.category_confidence:.2f}" in row
    assert str(first.category_runner_up) in row
    assert " ".join(first.abstract.split())[:120] in row

    # One click takes the runner-up; back to the queue, which no longer holds the paper.
    runner_up = first.category_runner_up
    response = editor.post(
        f"{CHANGELIST}?review=yes", {"decide": f"{first.pk}:{runner_up.pk}"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}?review=yes"
    assert "편집자 결정으로" in response.text
    first.refresh_from_db()
    assert (first.category, first.category_method) == (runner_up, "editor")
    assert first not in response.context["cl"].queryset

    # One click confirms the machine's category.
    kept = second.category
    editor.post(f"{CHANGELIST}?review=yes", {"decide": f"{second.pk}:{kept.pk}"})
    second.refresh_from_db()
    assert (second.category, second.category_method) == (kept, "editor")

    # Nonsense or an inactive category changes nothing and says so.
    Category.objects.filter(pk=runner_up.pk).update(is_active=False)
    third = queue.exclude(pk__in=[first.pk, second.pk]).first()
    for value in (f"{third.pk}:{runner_up.pk}", "x:y", f"{third.pk}:"):
        response = editor.post(f"{CHANGELIST}?review=yes", {"decide": value}, follow=True)
        assert "그 논문이나 분야가 이제 없습니다" in response.text
    third.refresh_from_db()
    assert third.category_method != "editor"


def test_confirming_in_bulk_locks_the_machines_categories(editor, reference_day):
    queue = list(assignment.review_queue(Paper.objects.all())[:3])
    editor.post(
        CHANGELIST,
        {"action": "confirm_category", "_selected_action": [p.pk for p in queue]},
    )
    for paper in queue:
        before = paper.category_id
        paper.refresh_from_db()
        assert (paper.category_id, paper.category_method) == (before, "editor")


def test_a_bulk_move_without_a_choice_asks_for_one(editor, reference_day):
    paper = Paper.objects.order_by("arxiv_id").first()
    before = (paper.category_id, paper.category_method)
    action = {"action": "move_to_category", "_selected_action": [paper.pk], "apply": "1"}
    response = editor.post(CHANGELIST, action)
    assert response.status_code == 200 and "필수 항목입니다" in response.text
    paper.refresh_from_db()
    assert (paper.category_id, paper.category_method) == before
