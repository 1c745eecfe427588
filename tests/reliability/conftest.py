"""Real services for the reliability suite: a private `redis-server` a test may stop and
restart, free loopback ports, and the integration suite's workers and fixtures (reused, not
copied)."""

import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis

from tests.integration.conftest import broker, taxonomy, workers  # noqa: F401 (fixtures)

REDIS_SERVER = "redis-server"


def free_port() -> int:
    """A loopback port nothing listens on (the kernel's pick; it is free until someone binds)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A `redis-server` of our own on a free port, persisted as production's is (append-only
    file, docker-compose.yml), so that `restart` loses nothing a graceful shutdown flushed."""

    def __init__(self, directory: Path):
        self.directory, self.port, self.process = directory, free_port(), None
        self.url = f"redis://127.0.0.1:{self.port}/0"
        directory.mkdir(exist_ok=True)

    def start(self) -> "RedisServer":
        command = [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--appendonly", "yes", "--save", "", "--dir", str(self.directory)]
        with (self.directory / "redis.log").open("a") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"redis-server did not answer on port {self.port} within 20 s")

    def stop(self) -> None:
        """A graceful shutdown (SIGTERM), as `docker compose restart` sends: the AOF is flushed."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def restart(self, down: float = 0.0) -> None:
        """Stop, stay down `down` seconds, start again on the same port and files."""
        self.stop()
        time.sleep(down)
        self.start()


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.stop()
