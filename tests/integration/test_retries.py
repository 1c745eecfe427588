"""Errors that may pass, made real: rows another session holds make a stage time out on its
lock (a database error that passes). The task retries it a bounded number of times; a
backfill stops there rather than meet it on every following day."""

import datetime
from contextlib import contextmanager

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from digest import pipeline, runs, tasks
from digest.models import PipelineRun
from tests.conftest import DEMO_DAY, REFERENCE_DAY
from tests.integration.conftest import holding

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
DAY = REFERENCE_DAY.isoformat()
FRIDAY, MONDAY = datetime.date(2025, 5, 23), datetime.date(2025, 5, 26)


@contextmanager
def papers_locked_elsewhere(settings):
    """Every paper row held by another session; this one gives up waiting after 200 ms."""
    with holding(settings, "SELECT id FROM papers_paper FOR UPDATE"):
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")


def test_a_transient_failure_is_retried_a_bounded_number_of_times(settings):
    """Rows another session holds make classify time out on its lock: a database error that
    passes, so every attempt is recorded and retried, a bounded number of times."""
    pipeline.run_stage(REFERENCE_DAY, "ingest")
    with papers_locked_elsewhere(settings):
        result = tasks.run_stage_task.apply(args=(DAY, "classify"))
    # Run eagerly, the retries follow at once: the first try and RETRIES more, then it fails.
    assert result.state == "FAILURE" and "lock timeout" in str(result.result)
    attempts = PipelineRun.objects.filter(stage="classify")
    assert attempts.count() == 1 + tasks.RETRIES
    assert all(run.status == "failed" and "lock timeout" in run.error for run in attempts)
    # What ingest stored stays, and the next run continues from the failed stage.
    assert runs.next_stage(REFERENCE_DAY) == "classify"
    assert tasks.run_stage_task(DAY, "classify")["classified"] == 12


def test_an_error_that_may_pass_stops_the_backfill(make_day, settings):
    """With the papers locked by another session, classify times out: the next days would meet
    the same trouble, so the command stops there and says how to resume."""
    for day in (FRIDAY, MONDAY):
        make_day(6, day=day)
    call_command("backfill", "--from", "2025-05-23", "--to", "2025-05-23")  # Friday is done
    stopped = pytest.raises(CommandError, match="Stopped at 2025-05-26 on an error that may")
    with papers_locked_elsewhere(settings), stopped:
        call_command("backfill", "--from", "2025-05-23", "--to", "2025-05-27", "--pause", "0")
    assert PipelineRun.objects.filter(date=DEMO_DAY).count() == 0  # never reached Tuesday
    assert "lock timeout" in PipelineRun.objects.get(date=MONDAY, status="failed").error
