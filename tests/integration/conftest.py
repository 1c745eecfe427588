"""Real Celery workers for the integration tests: `celery -A config worker` subprocesses on the
Redis and the test database this test session uses, with short time limits so that recovering
from a killed worker takes seconds."""

import base64
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import redis
from celery import current_app
from django.apps import apps as django_apps

from papers.models import Category
from tests.conftest import REPO

# The worker's hard time limit, and so the age at which a stage's claim counts as abandoned;
# the broker redelivers the task of a dead worker once the visibility timeout has passed.
TIME_LIMIT = 6
VISIBILITY_TIMEOUT = 8
STARTUP = 90  # seconds a worker may take to say it is ready (imports are slow under load)


class Worker:
    """One worker process group; `start` waits until it consumes, `kill` is a SIGKILL."""

    def __init__(self, env: dict, log: Path, concurrency: int = 2):
        self.env, self.log_path, self.concurrency, self.process = env, log, concurrency, None

    def start(self) -> "Worker":
        self.log_path.write_text("")
        command = [sys.executable, "-m", "celery", "-A", "config", "worker"]
        command += ["--concurrency", str(self.concurrency)]
        command += ["--hostname", f"test-{uuid.uuid4().hex[:8]}@%h"]
        command += [
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                command,
                cwd=REPO,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, pool children included
            )
        wait_for(lambda: " ready." in self.log(), STARTUP, "the worker to start", self)
        return self

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def wait_for(condition, timeout: float, what: str, worker: Worker | None = None):
    """Poll `condition` until it returns something true; fail with the worker's log if not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.2)
    log = worker.log()[-4000:] if worker else ""
    pytest.fail(f"Timed out after {timeout} s waiting for {what}.\n{log}")


@pytest.fixture
def broker():
    """The test broker's Redis, without queued or unacknowledged tasks before and after."""
    client = redis.Redis.from_url(current_app.conf.broker_url)
    keys = [current_app.conf.task_default_queue, "unacked", "unacked_index"]
    client.delete(*keys)
    yield client
    client.delete(*keys)


def worker_env(database: dict, **variables: str) -> dict:
    """The environment of a worker on `database` (a DATABASES entry), this process's broker and
    result backend, offline summaries and plain INFO logs; `variables` override."""
    url = "postgres://{}:{}@{}:{}/{}".format(
        quote(database["USER"]),
        quote(database["PASSWORD"] or ""),
        database["HOST"],
        database["PORT"] or 5432,
        database["NAME"],
    )
    return os.environ | {
        "DATABASE_URL": url,
        "CELERY_BROKER_URL": current_app.conf.broker_url,
        "CELERY_RESULT_BACKEND": current_app.conf.result_backend,
        "ANTHROPIC_API_KEY": "",
        "DEBUG": "1",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "plain",
        **variables,
    }


@pytest.fixture
def workers(settings, tmp_path, broker):
    """Make workers on this session's test database; every one is stopped at the end."""
    env = worker_env(
        settings.DATABASES["default"],
        CELERY_TASK_TIME_LIMIT=str(TIME_LIMIT),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        DIGEST_DATA_DIR=str(settings.DIGEST_DATA_DIR),
        DIGEST_SOURCE="bundled",
    )
    started = []

    def make(**variables: str) -> Worker:
        """A worker; `variables` override its environment."""
        started.append(Worker(env | variables, tmp_path / f"worker-{len(started)}.log"))
        return started[-1]

    yield make
    for worker in started:
        worker.stop()


def broker_idle(client) -> bool:
    """No task queued and none delivered but unacknowledged (running, with late acks)."""
    return not client.llen(current_app.conf.task_default_queue) and not client.hlen("unacked")


@pytest.fixture
def redis_down(monkeypatch):
    """Triggers and the health check pointed at a port nothing listens on, as if Redis were
    stopped (the shared Redis stays up); `monkeypatch.undo()` brings it back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setitem(current_app.conf, "broker_write_url", f"redis://127.0.0.1:{port}/0")
    return monkeypatch


def queued(client) -> list[list[tuple]]:
    """The chains waiting in the queue, oldest first, each as its (task, args, kwargs) steps."""
    chains = []
    for raw in reversed(client.lrange(current_app.conf.task_default_queue, 0, -1)):
        message = json.loads(raw)
        args, kwargs, embed = json.loads(base64.b64decode(message["body"]))
        rest = [(s["task"], tuple(s["args"]), s["kwargs"]) for s in reversed(embed["chain"] or [])]
        chains.append([(message["headers"]["task"], tuple(args), kwargs), *rest])
    return chains


@contextmanager
def holding(settings, sql: str, *params):
    """Another session of the test database holding the row locks `sql` takes, so that a
    stage needing them waits (or, with a lock_timeout, fails) mid-way."""
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"] or 5432,
        user=database["USER"],
        password=database["PASSWORD"],
        dbname=database["NAME"],
    ) as holder:
        holder.execute(sql, params)
        yield holder


@pytest.fixture
def taxonomy(transactional_db):
    """The categories, for transactional tests: the flush after each such test removes them
    (they come from a data migration), and a serialized rollback collides with the content
    types another transactional test's flush has re-created."""
    if not Category.objects.exists():
        migration = importlib.import_module("papers.migrations.0002_default_taxonomy")
        migration.create_taxonomy(django_apps, None)
