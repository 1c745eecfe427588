"""Faults survived, with real services: Redis restarted under a running worker, a PostgreSQL
connection dropped inside a stage's transaction, error storms from arXiv and from Anthropic.
Each ends with the day whole: nothing lost, nothing duplicated.

A worker SIGKILLed mid-stage is tested in tests/integration/test_worker.py
(`test_a_worker_killed_mid_stage_is_replaced_without_duplicates_or_losses`), not again here.
Only the outside services' transports are swapped (their recorded or rendered answers, see
tests/fixtures/README.md); PostgreSQL, Redis, Celery and the ORM are real.
"""

import functools
import json
import threading
import time

import httpx2
import pytest
import requests
from celery import current_app
from django.db import connection

from digest import pipeline, runs, tasks
from digest.ingest import IncompleteDay
from digest.models import DailyDigest, PipelineRun
from papers.models import Paper
from summaries import services
from summaries.models import CategorySummary
from tests.conftest import DEMO_DAY, REFERENCE_DAY
from tests.digest.test_ingest_arxiv import DAY as ARXIV_DAY
from tests.digest.test_ingest_arxiv import assert_no_duplicates, wire  # noqa: F401 (a fixture)
from tests.fixtures.anthropic.fake_api import FakeAnthropic
from tests.integration.conftest import holding, wait_for
from tests.integration.test_worker import BUILD, assert_day_whole, published, waiting_on_locks

DAY = REFERENCE_DAY.isoformat()
STAGES = list(pipeline.STAGES)


def build_after(day, stage: str) -> DailyDigest:
    """Run the stages after `stage`; the published digest."""
    for later in STAGES[STAGES.index(stage) + 1 :]:
        pipeline.run_stage(day, later)
    return DailyDigest.objects.published().get(date=day)


# --- Redis restarted ----------------------------------------------------------------------


@pytest.fixture
def restartable_broker(private_redis, monkeypatch):
    """Celery's broker and result backend on the private Redis, for this process's triggers and
    for the workers made after it (they take this process's broker)."""
    monkeypatch.setenv("CELERY_BROKER_URL", private_redis.url)  # read before the settings
    monkeypatch.setitem(current_app.conf, "result_backend", private_redis.url)
    return private_redis


def unacknowledged(client) -> list[tuple[str, str]]:
    """(task, its arguments) of each message Redis holds as delivered but not acknowledged."""
    held = [json.loads(raw)[0]["headers"] for raw in client.hvals("unacked")]
    return [(headers["task"], headers["argsrepr"]) for headers in held]


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
def test_redis_restarted_while_a_stage_runs_and_the_day_completes_once(
    restartable_broker, workers, broker, settings
):
    """Scenario: a worker consumes a day's chain (2024-11-14, 12 papers) from a Redis of our
    own, persisted as in production (append-only file). While classify runs (held mid-stage:
    another session holds the digest's row), Redis is shut down, stays down 2 s and starts
    again; then the row is freed. The worker's limits are long enough that only the restart
    is tested (20 s per task, redelivery after 25 s).

    Survived means: the same worker process reconnects by itself (Celery 5.7 stopped with
    "Unrecoverable error" here before digest/worker.py), the chain goes on to a published day
    with its 12 papers once each and one summary per category, and every stage succeeded
    exactly once. The one message whose acknowledgement went with the old connection, the
    classify task, is still held by Redis for redelivery (nothing lost), and delivered again
    it changes nothing (its stage is done).
    """
    pipeline.run_stage(REFERENCE_DAY, "ingest")
    worker = workers(CELERY_TASK_TIME_LIMIT="20", CELERY_VISIBILITY_TIMEOUT="25").start()
    lock = "SELECT 1 FROM digest_dailydigest WHERE date = %s FOR UPDATE"
    with holding(settings, lock, REFERENCE_DAY):
        tasks.trigger(REFERENCE_DAY)
        wait_for(waiting_on_locks, BUILD, "classify to get stuck", worker)
        restartable_broker.restart(down=2)
    digest = published(worker)
    wait_for(lambda: not broker.llen(current_app.conf.task_default_queue), BUILD, "the queue")

    log = worker.log()
    assert "Connection to broker lost" in log and "Unrecoverable error" not in log
    assert worker.process.poll() is None  # the worker lived through it
    assert_day_whole(digest)
    runs = PipelineRun.objects.filter(date=REFERENCE_DAY)
    assert sorted(runs.values_list("stage", "status")) == sorted(
        (stage, "succeeded") for stage in STAGES
    )
    assert unacknowledged(broker) == [("digest.tasks.run_stage", repr([DAY, "classify"]))]
    assert tasks.run_stage_task.apply(args=(DAY, "classify")).result is None  # done already
    assert runs.count() == len(STAGES)


# --- PostgreSQL connection dropped ----------------------------------------------------------

# A table each stage writes inside its transaction after other writes: locked by another
# session, the stage waits there, with uncommitted rows behind it.
WRITES_LAST = {
    "ingest": "digest_dailydigest",  # the papers are inserted, then the day's digest
    "summarise": "summaries_categorysummary_papers",  # a summary is inserted, then its papers
}


def drop_when_blocked(settings, table: str, backend: int, ready, outcome: list) -> None:
    """Lock `table`, wait until session `backend` waits for it, terminate that session with
    pg_terminate_backend, then free the table. Runs in a thread with its own connections."""
    try:
        with holding(settings, f"LOCK TABLE {table} IN SHARE MODE"):
            ready.set()
            deadline = time.monotonic() + 60
            with connection.cursor() as cursor:
                while time.monotonic() < deadline:
                    cursor.execute(
                        "SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", [backend]
                    )
                    if cursor.fetchone() == ("Lock",):
                        cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
                        outcome.append(cursor.fetchone()[0])
                        return
                    time.sleep(0.05)
    finally:
        ready.set()
        connection.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("taxonomy")
@pytest.mark.parametrize("stage", WRITES_LAST)
def test_a_database_connection_dropped_mid_transaction_rolls_back_and_the_retry_completes(
    settings, stage
):
    """Scenario: the stage runs as its Celery task (eagerly, so its retry follows at once) on the
    small real day 2024-11-14. Inside its transaction, with rows written but not committed
    (ingest: the 12 papers; summarise: a category's summary), another session kills its
    PostgreSQL connection with pg_terminate_backend.

    Survived means: the transaction is rolled back whole, the attempt is recorded as failed
    on a fresh connection (its claim released, not left running), the task retries it as
    transient and the retry writes everything exactly once (ingest creates all 12 papers;
    summarise writes one summary per category); the day then publishes whole.
    """
    for earlier in STAGES[: STAGES.index(stage)]:
        pipeline.run_stage(REFERENCE_DAY, earlier)
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    ready, outcome = threading.Event(), []
    dropper = threading.Thread(
        target=drop_when_blocked, args=(settings, WRITES_LAST[stage], backend, ready, outcome)
    )
    dropper.start()
    ready.wait(30)
    result = tasks.run_stage_task.apply(args=(DAY, stage))
    dropper.join(60)

    assert outcome == [True], "the stage's connection was not terminated mid-transaction"
    assert result.successful(), result.result
    first, retry = PipelineRun.objects.filter(stage=stage).order_by("started_at")
    assert first.status == "failed" and first.error.startswith("OperationalError")
    assert retry.status == "succeeded" and retry.counts == result.result
    if stage == "ingest":
        assert result.result["created"] == result.result["stored"] == 12
    else:
        categories = len(pipeline.summary_categories(REFERENCE_DAY))
        assert result.result["written"] == categories == CategorySummary.objects.count()
    assert_day_whole(build_after(REFERENCE_DAY, stage))


# --- arXiv error storm ----------------------------------------------------------------------

# Each try of an attempt meets the next of these; the API's answers otherwise (tests/fixtures).
ARXIV_STORM = [
    {"status": 500, "body": b""},
    {"status": 503, "headers": {"Retry-After": "20"}, "body": b""},
    {"status": 429, "headers": {"Retry-After": "30"}, "body": b""},
    {"raises": requests.ReadTimeout},
    {"status": 503, "body": b""},
]


@pytest.mark.django_db
def test_an_arxiv_error_storm_fails_the_day_clearly_and_a_later_run_completes_it(
    wire,  # noqa: F811
    settings,
):
    """Scenario: ingest of 2025-05-27 from arXiv (150 real papers, 144 in our categories, 2
    metadata batches) through its Celery task, run eagerly. The first batch is answered; from
    then on every request meets the storm: 500, 503 and 429 with Retry-After, read timeouts,
    for 25 requests in a row: each of the task's 5 attempts (1 + tasks.RETRIES) tries 5 times
    (1 + DIGEST_HTTP_RETRIES). Then arXiv recovers and the day is run again.

    Survived means: the retries are bounded (exactly 25 failed requests, every wait within
    DIGEST_HTTP_MAX_WAIT, Retry-After obeyed), the task fails with IncompleteDay naming the
    count, every attempt is a failed run, and the 100 papers stored stay, once each, with the
    day marked incomplete. The later run fetches only the 44 missing papers and the day
    publishes with all 144 and a summary for every category.
    """
    wire.arxiv.reply("api")
    tries = (1 + tasks.RETRIES) * (1 + settings.DIGEST_HTTP_RETRIES)
    for n in range(tries):
        wire.arxiv.reply("api", **ARXIV_STORM[n % len(ARXIV_STORM)])

    result = tasks.run_stage_task.apply(args=(ARXIV_DAY.isoformat(), "ingest"))
    assert result.failed() and isinstance(result.result, IncompleteDay) and result.result.retryable
    assert "incomplete: 100 of 144 listed papers stored" in str(result.result)
    assert len(wire.arxiv.requests_to("api")) == 1 + tries
    assert max(wire.clock.waits) <= settings.DIGEST_HTTP_MAX_WAIT
    assert wire.clock.waits.count(30) >= 1 + tasks.RETRIES  # each attempt's 429
    attempts = PipelineRun.objects.filter(stage="ingest")
    assert attempts.count() == 1 + tasks.RETRIES
    assert all(r.status == "failed" and "gave up after 5 tries" in r.error for r in attempts)
    digest = DailyDigest.objects.get()
    assert (digest.stored, digest.announced, digest.is_complete) == (100, 144, False)
    assert digest.papers.count() == Paper.objects.count() == 100
    assert_no_duplicates()

    again = tasks.run_stage_task.apply(args=(ARXIV_DAY.isoformat(), "ingest"))
    assert again.successful() and again.result["complete"]
    assert (again.result["created"], again.result["stored"]) == (44, 144)
    assert len(wire.arxiv.requests_to("api")) == 1 + tries + 1
    digest = build_after(ARXIV_DAY, "ingest")
    assert digest.papers.count() == Paper.objects.count() == 144
    assert_no_duplicates()
    categories = set(digest.papers.values_list("category", flat=True))
    assert sorted(digest.summaries.values_list("category", flat=True)) == sorted(categories)


# --- Anthropic error storm ------------------------------------------------------------------


@pytest.mark.django_db
def test_an_anthropic_error_storm_falls_back_offline_and_a_later_run_writes_every_summary(
    make_day, settings, monkeypatch
):
    """Scenario: the first 150 real papers of 2025-05-27 are ingested and classified; the
    summarise stage writes with Claude through the SDK (one Message Batch, as in production),
    whose transport answers a storm: 429 with retry-after, 529 overloaded, 500, a read timeout,
    529, 500. The stage runs twice during the storm (the day is published in between), then
    once after Anthropic recovers.

    Survived means: each run during the storm stops after ANTHROPIC_MAX_ATTEMPTS (3) requests,
    waiting as retry-after says; every category still gets a summary, the offline one, marked
    for regeneration with the API's error as the reason, and the day publishes; nothing is
    duplicated by the second run. The marked fallbacks leave the day unfinished, so the retry
    pass's resumed run after recovery writes every category with the model and clears the
    marks, still one summary per category.
    """
    settings.ANTHROPIC_BATCH = True
    settings.ANTHROPIC_MAX_ATTEMPTS = 3
    settings.DIGEST_LANGUAGES = ["ko"]
    fake = FakeAnthropic()
    fake.script = [429, 529, 500, httpx2.ReadTimeout, 529, 500]
    client = fake.client()
    monkeypatch.setattr(
        pipeline, "summarise_digest", functools.partial(services.summarise_digest, client=client)
    )
    make_day(150)
    for stage in ("ingest", "classify"):
        pipeline.run_stage(DEMO_DAY, stage)
    categories = len(pipeline.summary_categories(DEMO_DAY))

    for run in (1, 2):
        counts = pipeline.run_stage(DEMO_DAY, "summarise")
        assert (counts["fallback"], counts["written"]) == (categories, 0)
        assert len(fake.requests) == 3 * run  # the batch could not even be created
        summaries = CategorySummary.objects.all()
        assert summaries.count() == categories
        assert set(summaries.values_list("generator", "needs_regeneration")) == {("offline", True)}
        assert all("HTTP 500 api_error" in s.regeneration_reason for s in summaries)
        pipeline.run_stage(DEMO_DAY, "publish")
    assert 13 in fake.waits and max(fake.waits) <= settings.ANTHROPIC_MAX_WAIT
    assert DailyDigest.objects.published().filter(date=DEMO_DAY).exists()

    # The fallbacks keep the day unfinished, so the retry pass resumes it once Claude is back.
    assert runs.next_stage(DEMO_DAY) == "summarise"
    counts = pipeline.run_stage(DEMO_DAY, "summarise", resume=True)
    assert (counts["written"], counts["fallback"]) == (categories, 0)
    summaries = CategorySummary.objects.all()
    assert summaries.count() == categories
    model = settings.ANTHROPIC_SUMMARY_MODEL
    assert set(summaries.values_list("generator", "needs_regeneration")) == {(model, False)}
    assert all(s.papers.exists() for s in summaries)
