"""Load held: the day page of a real built day under 200 concurrent connections for 30 s, served
by gunicorn with the project's gunicorn.conf.py on 127.0.0.1, from `wrk` in its own process.

`wrk` is Debian's (`.ci/run` installs it); without it the test is skipped locally and fails
under CI. The figures are printed (requests/second, p50/p99) for docs/reliability.md; the
assertions are about errors only, as timings belong to bench/.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from digest import pipeline
from digest.models import DailyDigest
from tests.conftest import DEMO_DAY, REPO
from tests.integration.conftest import worker_env
from tests.reliability.conftest import free_port

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("taxonomy")]
CONNECTIONS, SECONDS = 200, 30
WRK_TIMEOUT = 5  # seconds; a response slower than this counts as a socket timeout (an error)
STARTUP = 90  # seconds gunicorn may take to answer (it preloads the app; slow under load)
# wrk's own summary as one JSON line (its `done` hook), so nothing depends on its text layout.
REPORT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %.0f, "duration_us": %.0f, "connect": %.0f, "read": %.0f, "write": %.0f,'
    .. ' "status": %.0f, "timeout": %.0f, "p50_us": %.0f, "p99_us": %.0f, "max_us": %.0f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail("CI needs wrk, the load generator (.ci/run installs Debian's wrk).")
    pytest.skip("no wrk on PATH (apt-get install wrk)")


def get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


@pytest.fixture
def production_server(settings, tmp_path, private_redis):
    """gunicorn as production runs it (gunicorn.conf.py: its workers, preloading, JSON logs),
    on this session's test database with DEBUG=0, collected static files and a Redis page
    cache of its own; bound to 127.0.0.1 instead of 0.0.0.0:8000. Yields the base URL."""
    port = free_port()
    env = worker_env(
        settings.DATABASES["default"],
        DEBUG="0",
        SECRET_KEY="reliability-test-only",
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        STATIC_ROOT=str(tmp_path / "static"),
        CACHE_URL=private_redis.url,
        LOG_LEVEL="WARNING",  # production's format and level (gunicorn's access log is INFO)
        LOG_FORMAT="json",
    )
    manage = [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"]
    subprocess.run(manage, cwd=REPO, env=env, check=True)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"],
            cwd=REPO,  # where gunicorn reads gunicorn.conf.py
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP
    while True:
        try:
            get(f"{base}/health/")
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                os.killpg(server.pid, signal.SIGKILL)
                pytest.fail(f"gunicorn did not answer within {STARTUP} s:\n{log.read_text()}")
            time.sleep(0.5)
    yield base, log
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


def test_the_day_page_holds_200_concurrent_connections_for_30_s_without_an_error(
    production_server, tmp_path, capsys
):
    """Scenario: the bundled real 649-paper day 2025-05-27 is built by the pipeline, then
    gunicorn (the project's gunicorn.conf.py, sync workers, WEB_CONCURRENCY or 3 of them) serves
    its day page to `wrk`: 200 connections kept busy for 30 s from another process on
    127.0.0.1, asking for gzip as browsers do.

    Survived means: every response was 2xx/3xx, no connect/read/write error, none slower than
    5 s (wrk's timeout), no ERROR in the server's log, and at least 10 requests completed per
    connection. Printed: requests, requests/second, p50/p99/max latency.
    """
    wrk = wrk_binary()
    pipeline.build_digest(DEMO_DAY)
    digest = DailyDigest.objects.published().get(date=DEMO_DAY)
    title = digest.papers.order_by("pk").first().title
    base, log = production_server
    url = f"{base}/days/{DEMO_DAY.isoformat()}/"
    status, body = get(url)  # the first visit renders the page; the load reads what it cached
    assert status == 200 and title.encode() in body

    script = tmp_path / "report.lua"
    script.write_text(REPORT)
    command = [wrk, "--threads", "2", "--connections", str(CONNECTIONS)]
    command += ["--duration", f"{SECONDS}s", "--timeout", f"{WRK_TIMEOUT}s", "--latency"]
    command += ["--header", "Accept-Encoding: gzip", "--script", str(script), url]
    run = subprocess.run(command, capture_output=True, text=True, timeout=SECONDS + 60)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])

    rps = result["requests"] / (result["duration_us"] / 1e6)
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    with capsys.disabled():
        print(
            f"\n[load] {CONNECTIONS} connections for {SECONDS} s on {url.removeprefix(base)} "
            f"(gzip, {os.cpu_count()} CPUs, load {load}): {result['requests']:.0f} requests, "
            f"{rps:.0f} req/s, p50 {result['p50_us'] / 1000:.0f} ms, "
            f"p99 {result['p99_us'] / 1000:.0f} ms, max {result['max_us'] / 1000:.0f} ms, "
            f"errors connect {result['connect']:.0f} read {result['read']:.0f} "
            f"write {result['write']:.0f} timeout {result['timeout']:.0f} "
            f"non-2xx/3xx {result['status']:.0f}"
        )
    errors = {k: result[k] for k in ("connect", "read", "write", "timeout", "status")}
    assert errors == dict.fromkeys(errors, 0), run.stdout
    assert result["requests"] >= 10 * CONNECTIONS, run.stdout
    logged = log.read_text().splitlines()
    failures = [line for line in logged if '"level": "ERROR"' in line or "CRITICAL" in line]
    assert not failures, "\n".join(failures[:5])
