"""The acceptance tests of the orchestration, with real workers on the real Redis and PostgreSQL:
a day's chain publishes, a worker killed mid-stage is replaced without duplicate or lost rows,
concurrent triggers run each stage once, and with Redis down pages serve and triggers say so."""

import time

import pytest
from django.db import connection

from digest import pipeline, tasks
from digest.models import DailyDigest, PipelineRun
from papers.models import Paper
from summaries.models import CategorySummary
from tests.conftest import REFERENCE_DAY
from tests.integration.conftest import VISIBILITY_TIMEOUT, broker_idle, holding, wait_for

# Transactional, so that the workers see what the test writes.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
BUILD = 60  # seconds a worker may take to build the small reference day


def published(worker):
    return wait_for(
        lambda: DailyDigest.objects.published().filter(date=REFERENCE_DAY).first(),
        BUILD,
        "the day to be published",
        worker,
    )


def assert_day_whole(digest):
    """Every paper once, every category of the day summarised once, citing its own papers."""
    assert Paper.objects.count() == digest.papers.count() == 12
    assert DailyDigest.papers.through.objects.filter(dailydigest=digest).count() == 12
    categories = set(digest.papers.values_list("category", flat=True))
    summaries = CategorySummary.objects.filter(digest=digest)
    assert sorted(summaries.values_list("category", flat=True)) == sorted(categories)
    for summary in summaries:
        cited = set(summary.papers.values_list("category", flat=True))
        assert cited == {summary.category_id}
    assert not PipelineRun.objects.filter(status="running").exists()
    return len(categories)


def test_a_worker_runs_the_days_chain_to_a_published_digest(workers):
    worker = workers().start()
    tasks.trigger(REFERENCE_DAY)
    categories = assert_day_whole(published(worker))

    runs = PipelineRun.objects.filter(date=REFERENCE_DAY)
    assert sorted(runs.values_list("stage", "status")) == sorted(
        (stage, "succeeded") for stage in pipeline.STAGES
    )
    summarise = runs.get(stage="summarise").counts
    assert summarise["written"] == summarise["categories"] == categories
    # The categories were summarised by one task each, in parallel, as a chord.
    assert worker.log().count("summarise_share[") >= 2 * categories  # received, succeeded


def waiting_on_locks() -> int:
    """Sessions of the test database waiting for a lock (asked outside the holder's
    transaction, which would see one snapshot of the statistics throughout)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("stage", ["classify", "summarise"])
def test_a_worker_killed_mid_stage_is_replaced_without_duplicates_or_losses(
    workers, settings, stage
):
    for earlier in list(pipeline.STAGES)[: list(pipeline.STAGES).index(stage)]:
        pipeline.run_stage(REFERENCE_DAY, earlier)
    # The stage's writes need the digest's row: classify advances its status, and each summary
    # references it (a foreign key checked at commit). While another session holds that row,
    # the stage stops half-way, and the worker is killed there.
    lock = "SELECT 1 FROM digest_dailydigest WHERE date = %s FOR UPDATE"
    with holding(settings, lock, REFERENCE_DAY):
        first = workers().start()
        tasks.trigger(REFERENCE_DAY)
        wait_for(waiting_on_locks, BUILD, f"{stage} to get stuck", first)
        assert PipelineRun.objects.get(stage=stage).status == "running"
        first.kill()
    # Redis hands the dead worker's tasks out again once their visibility timeout has passed.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    second = workers().start()
    categories = assert_day_whole(published(second))

    runs = PipelineRun.objects.filter(date=REFERENCE_DAY)
    for other in set(pipeline.STAGES) - {stage}:
        assert runs.get(stage=other).status == "succeeded"
    killed = runs.filter(stage=stage)
    assert killed.latest("started_at").status == "succeeded"
    assert {run.error for run in killed if run.status == "failed"} <= {
        "Abandoned: no result within the stage timeout."
    }
    # A share killed while committing may have committed; run again, it finds its summary
    # current and writes nothing, so every category is written exactly once.
    if stage == "summarise":
        assert killed.get().counts["written"] + killed.get().counts["unchanged"] == categories


def test_two_concurrent_triggers_run_each_stage_once(workers, broker):
    tasks.trigger(REFERENCE_DAY)
    tasks.trigger(REFERENCE_DAY)
    worker = workers().start()  # both chains are queued: two processes take them at once
    assert_day_whole(published(worker))
    wait_for(lambda: broker_idle(broker), BUILD, "both chains to end", worker)

    runs = PipelineRun.objects.filter(date=REFERENCE_DAY)
    assert sorted(runs.values_list("stage", "status")) == sorted(
        (stage, "succeeded") for stage in pipeline.STAGES
    )
    summarise = runs.get(stage="summarise").counts
    assert summarise["written"] == summarise["categories"]
    log = worker.log()
    assert "this trigger stops here" in log or "is done already" in log


def test_with_redis_down_pages_serve_and_triggers_fail_clearly_then_succeed(
    workers, broker, admin_client, redis_down
):
    pipeline.build_digest(REFERENCE_DAY)
    digest = DailyDigest.objects.get()
    rerun = {"action": "rerun_dates", "_selected_action": [PipelineRun.objects.first().pk]}
    runs = "/admin/digest/pipelinerun/"

    # Redis is "stopped" (see the fixture): the day built in this process serves all the same.
    assert admin_client.get("/", follow=True).status_code == 200
    page = admin_client.get(f"/days/{REFERENCE_DAY}/")
    assert page.status_code == 200 and digest.papers.first().title in page.content.decode()
    health = admin_client.get("/health/").json()
    assert health["status"] == "degraded" and health["broker"].startswith("error:")
    with pytest.raises(tasks.BrokerUnavailable, match=r"The task queue \(Redis\) is unreachable"):
        tasks.trigger(REFERENCE_DAY)
    response = admin_client.post(runs, rerun, follow=True)
    message = [str(m) for m in response.context["messages"]]
    assert len(message) == 1 and "unreachable, so nothing was queued for 2024-11-14" in message[0]
    assert broker_idle(broker)

    # Redis back: the same action queues the re-run and a worker carries it out.
    redis_down.undo()
    response = admin_client.post(runs, rerun, follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "2024-11-14을(를) 대기열에 넣었습니다 (모든 단계)."
    ]
    worker = workers().start()
    wait_for(
        lambda: PipelineRun.objects.filter(status="succeeded").count() == 8,
        BUILD,
        "the re-run",
        worker,
    )
    assert_day_whole(DailyDigest.objects.get())
