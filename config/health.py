"""The health endpoint, for load balancers, container healthchecks and people.

It answers 200 while pages can be served (the database answers) and 503 when they cannot. A
broker that is down is reported but does not fail the check: the site still serves, only new
runs wait, and restarting the web process would not bring Redis back.
"""

from celery import current_app
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from digest.models import DailyDigest, PipelineRun


@never_cache
def health(request):
    database, broker = _database(), _broker()
    if database != "ok":
        report = {"status": "down", "database": database, "broker": broker}
        return JsonResponse(report, status=503)
    status = "ok" if broker == "ok" else "degraded"
    report = {"status": status, "database": database, "broker": broker, **_last_runs()}
    return JsonResponse(report)


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        return f"error: {exc}"
    return "ok"


def _broker() -> str:
    try:
        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0)
    except Exception as exc:  # kombu raises the transport's own errors as well as its own
        return f"error: {exc}"
    return "ok"


def _last_runs() -> dict:
    """The latest successful stage run and the latest published day, in Korean time."""
    run = (
        PipelineRun.objects.filter(status=PipelineRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .only("date", "stage", "finished_at")
        .first()
    )
    published = DailyDigest.objects.published().order_by("-date").only("date").first()
    return {
        "last_successful_run": run
        and {
            "date": run.date.isoformat(),
            "stage": run.stage,
            "finished_at": timezone.localtime(run.finished_at).isoformat(),
        },
        "latest_published_day": published and published.date.isoformat(),
    }
