"""The health endpoint, for load balancers, container healthchecks and people.

It answers 200 while pages can be served (the database answers) and 503 when they cannot. A
broker or a page cache that is down is reported, and makes the status "degraded", but does not
fail the check: the site still serves (uncached while the cache is down), only new runs wait,
and restarting the web process would not bring Redis back. The cache is asked for real on every
check (a key written and read back), so its report is never older than the check.
"""

import uuid

from celery import current_app
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from common.cache import outage
from digest.models import DailyDigest, PipelineRun

PROBE_KEY = "health:probe"


@never_cache
def health(request):
    services = {"database": _database(), "broker": _broker(), "cache": _cache()}
    if services["database"] != "ok":
        return JsonResponse({"status": "down", **services}, status=503)
    status = "ok" if set(services.values()) == {"ok"} else "degraded"
    return JsonResponse({"status": status, **services, **_last_runs()})


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


def _cache() -> str:
    """The page cache, written and read back; while common.cache keeps an unreachable server
    alone between tries, its last error."""
    value = uuid.uuid4().hex
    cache.set(PROBE_KEY, value, timeout=60)
    if cache.get(PROBE_KEY) == value:
        return "ok"
    return f"error: {outage() or 'the cache did not keep a value'}"


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
