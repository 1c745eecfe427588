"""Triggers put the right chains on the real Redis: the admin's re-run actions, the daily
schedule's entry and its retry pass."""

import datetime

import pytest
import time_machine

from digest import tasks
from digest.models import PipelineRun
from tests.conftest import DEMO_DAY, REFERENCE_DAY
from tests.integration.conftest import queued

pytestmark = pytest.mark.django_db
RUNS = "/admin/digest/pipelinerun/"


def chain(day: datetime.date, first: str = "ingest", force: bool = False) -> list[tuple]:
    steps = [
        ("digest.tasks.run_stage", (day.isoformat(), "ingest")),
        ("digest.tasks.run_stage", (day.isoformat(), "classify")),
        ("digest.tasks.summarise_stage", (day.isoformat(),)),
        ("digest.tasks.run_stage", (day.isoformat(), "publish")),
    ]
    steps = steps[["ingest", "classify", "summarise", "publish"].index(first) :]
    return [(task, args, {"force": force and n == 0}) for n, (task, args) in enumerate(steps)]


def messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_rerunning_stages_queues_each_date_once_from_its_earliest_selected_stage(
    admin_client, reference_day, broker
):
    selected = PipelineRun.objects.filter(stage__in=["publish", "classify", "summarise"])
    data = {"action": "rerun_stages", "_selected_action": [run.pk for run in selected]}
    response = admin_client.post(RUNS, data, follow=True)
    assert messages(response) == ["2024-11-14을(를) 대기열에 넣었습니다 (분류 단계부터)."]
    assert queued(broker) == [chain(REFERENCE_DAY, "classify", force=True)]


def test_rerunning_dates_queues_every_stage_of_each_date(admin_client, reference_day, broker):
    data = {"action": "rerun_dates", "_selected_action": [PipelineRun.objects.first().pk]}
    response = admin_client.post(RUNS, data, follow=True)
    assert messages(response) == ["2024-11-14을(를) 대기열에 넣었습니다 (모든 단계)."]
    assert queued(broker) == [chain(REFERENCE_DAY, force=True)]


def test_the_daily_entry_queues_the_announcement_just_published(broker):
    # Wednesday 21:30 in New York is Thursday 11:30 in Seoul: Thursday's announcement is out.
    with time_machine.travel(datetime.datetime(2024, 11, 14, 2, 30, tzinfo=datetime.UTC)):
        assert tasks.build_latest_day() == "2024-11-14"
    assert queued(broker) == [chain(REFERENCE_DAY)]


def test_the_retry_pass_resumes_each_unfinished_day_from_where_it_stopped(make_day, broker):
    make_day(5, day=DEMO_DAY)
    tasks.run_stage_task(DEMO_DAY.isoformat(), "ingest")
    # Tuesday 23:30 in New York: Wednesday 2025-05-28 is announced and nothing of it is built.
    with time_machine.travel(datetime.datetime(2025, 5, 28, 3, 30, tzinfo=datetime.UTC)):
        resumed = tasks.resume_recent_days()
    wednesday = datetime.date(2025, 5, 28)
    assert resumed == [
        "2025-05-26 from ingest",
        "2025-05-27 from classify",
        "2025-05-28 from ingest",
    ]
    assert queued(broker) == [
        chain(datetime.date(2025, 5, 26)),
        chain(DEMO_DAY, "classify"),
        chain(wednesday),
    ]
