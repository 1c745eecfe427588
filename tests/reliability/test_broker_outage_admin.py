"""The broker stopped during each admin action (issue 17, defect 2).

Moving a paper's category by any route used to answer 500 after committing (an
`on_commit(partial(...), robust=True)` callback that Django's robust logging cannot name),
the next page claimed the summaries were queued, and "Regenerate selected summaries" answered
500 with kombu's error. Here the broker is "stopped" as in tests/integration (triggers pointed
at a closed port, the shared Redis left alone), the actions run for real, with their
transactions committed (a transactional test), and then the scheduled retry pass and a real
worker rebuild the day.
"""

import pytest

from digest import pipeline, runs, schedule, tasks
from digest.models import DailyDigest, PipelineRun
from papers.models import Category, Paper
from summaries.models import CategorySummary
from tests.conftest import REFERENCE_DAY, inline_category_change
from tests.integration.conftest import broker_idle, redis_down, wait_for  # noqa: F401
from tests.integration.test_worker import BUILD
from tests.reliability.test_cache_outage import form_data

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
DAY = REFERENCE_DAY.isoformat()
PAPERS = "/admin/papers/paper/"
NOT_QUEUED = (
    f"The correction is saved, but the rebuild of the summaries and charts of {DAY} could not "
    "be queued: the task queue (Redis) is unreachable."
)


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def another_category(paper) -> Category:
    return Category.objects.active().exclude(pk=paper.category_id).order_by("order").first()


def change_form(client, paper):
    url = f"{PAPERS}{paper.pk}/change/"
    return client.post(
        url, form_data(client, url, category=another_category(paper).pk), follow=True
    )


def inline_list(client, paper):
    data = inline_category_change(paper, another_category(paper))
    return client.post(f"{PAPERS}?q={paper.arxiv_id}", data, follow=True)


def move_to_category(client, paper):
    action = {"action": "move_to_category", "_selected_action": [paper.pk], "apply": "1"}
    return client.post(PAPERS, action | {"category": another_category(paper).pk}, follow=True)


def regenerate(client, paper):
    summary = CategorySummary.objects.filter(digest__date=REFERENCE_DAY, locked=False).first()
    action = {"action": "regenerate", "_selected_action": [summary.pk]}
    return client.post("/admin/summaries/categorysummary/", action, follow=True)


ACTIONS = [change_form, inline_list, move_to_category, regenerate]


def test_the_broker_stopped_during_each_admin_action_then_the_retry_pass_rebuilds(
    workers,
    broker,
    admin_client,
    redis_down,  # noqa: F811
):
    """Scenario: the real day 2024-11-14 is built and published. With the broker stopped, an
    editor moves a paper on the change form, another in the list's inline column, a third
    with "Move to category…", and asks for a summary to be regenerated; then re-runs the day
    from Pipeline runs. The day is older than the retry pass's window (DIGEST_RESUME_DAYS).

    Survived means: no action answers 500; each correction is saved (the paper is in its new
    category as an editor's decision, the summaries involved marked stale) and the page after
    it says so, and says that the rebuild could not be queued, never that it was; nothing is
    queued; each failure is in the run history ("Not queued: …") and the day's next stage is
    summarise. Once the broker is back, the scheduled retry pass (resume_recent_days) queues
    the day from summarise and a real worker rewrites every stale summary and redraws the
    chart from the papers' current categories.
    """
    pipeline.build_digest(REFERENCE_DAY)
    papers = list(DailyDigest.objects.get().papers.exclude(arxiv_id=None).order_by("pk"))

    for action, paper in zip(ACTIONS, papers, strict=False):
        response = action(admin_client, paper)
        assert response.status_code == 200, action.__name__
        shown = messages_of(response)
        assert any(NOT_QUEUED in message for message in shown), (action.__name__, shown)
        assert not any("queued for rebuilding" in message for message in shown), shown
        if action is not regenerate:
            paper.refresh_from_db()
            assert paper.category_method == "editor"
            assert len(shown) == 2, shown  # the admin's own line about the save, then ours
    rerun = {"action": "rerun_dates", "_selected_action": [PipelineRun.objects.first().pk]}
    response = admin_client.post("/admin/digest/pipelinerun/", rerun, follow=True)
    assert any("unreachable, so nothing was queued" in m for m in messages_of(response))

    assert broker_idle(broker)
    not_queued = PipelineRun.objects.filter(error__startswith="Not queued: ")
    assert not_queued.count() == len(ACTIONS)
    assert set(not_queued.values_list("stage", "status")) == {("summarise", "failed")}
    assert CategorySummary.objects.filter(needs_regeneration=True).exists()
    assert runs.next_stage(REFERENCE_DAY) == "summarise"

    redis_down.undo()
    # The window's own days (today's, in this test) have no data here; this day is years older
    # than the window and comes back through its "Not queued" record alone.
    redis_down.setattr(schedule, "unfinished_days", lambda now, count: [])
    assert tasks.resume_recent_days.apply().result == [f"{DAY} from summarise"]
    worker = workers().start()
    wait_for(
        lambda: runs.next_stage(REFERENCE_DAY) is None,
        BUILD,
        "the retry pass to rebuild the day",
        worker,
    )
    assert not CategorySummary.objects.filter(needs_regeneration=True).exists()
    digest = DailyDigest.objects.get()
    counts = {}
    for paper in digest.papers.all():
        counts[paper.category_id] = counts.get(paper.category_id, 0) + 1
    charted = {
        slice_.get("category", slice_.get("slug")): slice_["count"] for slice_ in digest.chart
    }
    assert sorted(charted.values()) == sorted(counts.values())
    assert Paper.objects.filter(category_method="editor").count() == 3
    assert tasks.resume_recent_days.apply().result == []  # nothing left to resume
