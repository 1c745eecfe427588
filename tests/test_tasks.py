"""Celery tasks are thin: they call the pipeline and chain the stages in order."""

import pytest

from digest import tasks
from digest.models import DailyDigest

pytestmark = pytest.mark.django_db


def test_stage_task_runs_the_stage_as_a_plain_function():
    counts = tasks.run_stage("2024-11-14", "ingest")
    assert counts["created"] == 12
    assert DailyDigest.objects.get().status == "ingested"


def test_build_chain_runs_the_four_stages_in_order():
    signature = tasks.build_chain("2024-11-14")
    assert [(t.task, t.args) for t in signature.tasks] == [
        ("digest.tasks.run_stage", ("2024-11-14", stage))
        for stage in ("ingest", "classify", "summarise", "publish")
    ]
    assert all(t.immutable for t in signature.tasks)
