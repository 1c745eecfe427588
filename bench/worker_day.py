"""Time the bundled 649-paper day through real Celery workers, from trigger to published, with
one and with two worker processes, against the same day built in this process.

The summarise stage runs as a chord (one task per category), so its share of the day is where
more processes help; the offline summariser is fast, so the figures bound the orchestration's
own cost (queueing, the chord's join) more than they show the gain with Claude.
Run: DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
     CELERY_BROKER_URL=redis://127.0.0.1:6379/0 uv run python bench/worker_day.py
"""

import datetime
import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import redis  # noqa: E402
from celery import current_app  # noqa: E402
from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

from digest import pipeline, tasks  # noqa: E402
from digest.models import DailyDigest, PipelineRun  # noqa: E402
from papers.models import Paper  # noqa: E402
from tests.integration.conftest import Worker, wait_for, worker_env  # noqa: E402

DAY = datetime.date(2025, 5, 27)


def clear() -> None:
    """Nothing of the day left, so every build starts from the same empty database."""
    for model in (PipelineRun, DailyDigest, Paper):
        model.objects.all().delete()
    client = redis.Redis.from_url(current_app.conf.broker_url)
    client.delete(current_app.conf.task_default_queue, "unacked", "unacked_index")


def stage_seconds() -> dict[str, float]:
    runs = {run.stage: run for run in PipelineRun.objects.filter(date=DAY, status="succeeded")}
    return {stage: runs[stage].duration.total_seconds() for stage in pipeline.STAGES}


def through_workers(concurrency: int, logs: Path) -> tuple[float, dict]:
    clear()
    env = worker_env(connection.settings_dict, DIGEST_SOURCE="bundled")
    worker = Worker(env, logs / f"worker-{concurrency}.log", concurrency=concurrency).start()
    try:
        started = time.perf_counter()
        tasks.trigger(DAY)
        # The publish stage's run is marked succeeded just after it saves the published day.
        wait_for(
            lambda: PipelineRun.objects.filter(
                date=DAY, stage="publish", status="succeeded"
            ).exists(),
            300,
            "the day to be published",
            worker,
        )
        return time.perf_counter() - started, stage_seconds()
    finally:
        worker.stop()


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    if not apps.get_model("papers", "Category").objects.exists():
        migration = importlib.import_module("papers.migrations.0002_default_taxonomy")
        migration.create_taxonomy(apps, None)
    try:
        clear()
        started = time.perf_counter()
        pipeline.build_digest(DAY)
        in_process = time.perf_counter() - started, stage_seconds()
        papers = DailyDigest.objects.get(date=DAY).papers.count()
        categories = len(pipeline.summary_categories(DAY))
        with tempfile.TemporaryDirectory() as logs:
            one = through_workers(1, Path(logs))
            two = through_workers(2, Path(logs))
        clear()
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    for name, (total, stages) in [
        ("in process", in_process),
        ("1 worker", one),
        ("2 workers", two),
    ]:
        details = "  ".join(f"{stage} {seconds:.2f}" for stage, seconds in stages.items())
        print(f"{name:<10} {total:6.2f} s   {details}")
    print(
        f"papers={papers} categories={categories} cpus={os.cpu_count()} "
        f"in_process_seconds={in_process[0]:.2f} one_worker_seconds={one[0]:.2f} "
        f"two_workers_seconds={two[0]:.2f} "
        f"summarise_one_worker_seconds={one[1]['summarise']:.2f} "
        f"summarise_two_workers_seconds={two[1]['summarise']:.2f} "
        f"orchestration_overhead_seconds={one[0] - in_process[0]:.2f}"
    )


if __name__ == "__main__":
    main()
