"""/health/: 200 while pages can be served, with the broker and the last runs reported (a
broker that is down: tests/integration/test_worker.py)."""

import pytest

from tests.conftest import REFERENCE_DAY

pytestmark = pytest.mark.django_db


def test_a_healthy_deployment_reports_its_last_run_in_korean_time(
    client, reference_day, django_assert_num_queries
):
    with django_assert_num_queries(3):  # SELECT 1, the last run, the last published day
        response = client.get("/health/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    report = response.json()
    assert report["status"] == "ok" and report["database"] == report["broker"] == "ok"
    assert report["latest_published_day"] == REFERENCE_DAY.isoformat()
    last = report["last_successful_run"]
    assert (last["date"], last["stage"]) == (REFERENCE_DAY.isoformat(), "publish")
    assert last["finished_at"].endswith("+09:00")


def test_before_any_run_there_is_nothing_to_report(client):
    report = client.get("/health/").json()
    assert report["status"] == "ok"
    assert report["last_successful_run"] is None and report["latest_published_day"] is None
