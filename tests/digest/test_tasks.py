"""Celery tasks are thin: they call the pipeline, chain the stages in order, skip what is done,
stop when another run holds a stage, and retry only transient errors."""

import pytest
from celery.exceptions import Ignore

from digest import runs, tasks
from digest.models import DailyDigest, PipelineRun
from tests.conftest import REFERENCE_DAY

DAY = REFERENCE_DAY.isoformat()


@pytest.mark.django_db
def test_stage_task_runs_the_stage_as_a_plain_function():
    counts = tasks.run_stage_task(DAY, "ingest")
    assert counts["created"] == 12
    assert DailyDigest.objects.get().status == "ingested"


@pytest.mark.django_db
def test_a_stage_done_already_is_skipped_unless_forced():
    first = tasks.run_stage_task(DAY, "ingest")
    assert tasks.run_stage_task(DAY, "ingest") is None
    assert PipelineRun.objects.count() == 1  # the skip leaves no row behind
    assert tasks.run_stage_task(DAY, "ingest", force=True) == first | {
        "created": 0,
        "unchanged": 12,
    }
    assert PipelineRun.objects.filter(status="succeeded").count() == 2


@pytest.mark.django_db
def test_a_stage_claimed_by_another_run_stops_this_chain_quietly():
    PipelineRun.objects.create(date=REFERENCE_DAY, stage="ingest")
    with pytest.raises(Ignore):
        tasks.run_stage_task(DAY, "ingest")
    assert PipelineRun.objects.get().status == "running"  # the holder's claim is untouched


def test_build_chain_runs_the_four_stages_in_order():
    signature = tasks.build_chain(DAY)
    assert [(t.task, t.args, t.kwargs) for t in signature.tasks] == [
        ("digest.tasks.run_stage", (DAY, "ingest"), {"force": False}),
        ("digest.tasks.run_stage", (DAY, "classify"), {"force": False}),
        ("digest.tasks.summarise_stage", (DAY,), {"force": False}),
        ("digest.tasks.run_stage", (DAY, "publish"), {"force": False}),
    ]
    assert all(t.immutable for t in signature.tasks)


def test_a_rerun_forces_its_first_stage_and_resumes_the_rest():
    signature = tasks.build_chain(DAY, first="summarise", force=True)
    assert [(t.task, t.kwargs) for t in signature.tasks] == [
        ("digest.tasks.summarise_stage", {"force": True}),
        ("digest.tasks.run_stage", {"force": False}),
    ]


def test_an_unknown_stage_is_refused():
    with pytest.raises(runs.PipelineError, match="Unknown stage 'sumarise'"):
        tasks.build_chain(DAY, first="sumarise")


@pytest.mark.django_db
def test_a_permanent_failure_is_not_retried(data_dir):
    result = tasks.run_stage_task.apply(args=("2024-11-15", "ingest"))
    assert result.state == "FAILURE"
    assert PipelineRun.objects.get().status == "failed"
