"""Serving and loading the pages for bench/pages.py: gunicorn with the project's
gunicorn.conf.py on 127.0.0.1, and clients over keep-alive connections in other processes."""

import http.client
import os
import statistics
import subprocess
import sys
import time

from bench.pages_data import DATABASE_URL

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE_URL = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/6")
SERVER_ENV = {
    "DATABASE_URL": DATABASE_URL,
    "CACHE_URL": CACHE_URL,
    "DEBUG": "0",
    "SECRET_KEY": "bench-only-not-secret",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",  # plain HTTP on loopback
    "ANTHROPIC_API_KEY": "",  # summaries of the real days are written offline
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


def fetch(port: int, paths: list[str]) -> list[tuple[float, int, int]]:
    """GET each path over one keep-alive connection: (seconds, status, bytes) per request."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    results = []
    for path in paths:
        started = time.perf_counter()
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})  # as browsers do
        response = connection.getresponse()
        body = response.read()
        results.append((time.perf_counter() - started, response.status, len(body)))
    connection.close()
    return results


def measure(pool, port: int, rounds: list[list[str]], concurrency: int, before=None) -> dict:
    """Run the rounds (their paths split among `concurrency` clients); `before()` runs before
    each round, outside the timing."""
    samples, busy = [], 0.0
    for paths in rounds:
        if before:
            before()
        shares = [paths[i::concurrency] for i in range(concurrency)]
        started = time.perf_counter()
        for result in pool.map(fetch, [port] * concurrency, shares):
            samples += result
        busy += time.perf_counter() - started
    latencies = sorted(s[0] for s in samples)
    bad = [s for s in samples if s[1] != 200]
    if bad:
        print(f"  {len(bad)} of {len(samples)} requests failed, e.g. HTTP {bad[0][1]}")
    return {
        "requests": len(samples),
        "errors": len(bad),
        "rps": len(samples) / busy,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "kb": statistics.mean(s[2] for s in samples) / 1024,
    }


def start_server(workers: int, port: int, gc_freeze: bool) -> subprocess.Popen:
    """gunicorn with the project's gunicorn.conf.py (read from the working directory), its
    access log discarded."""
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "bench.pages:application()",
            "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--preload",
            "--pythonpath", str(REPO), "--log-level", "warning",
        ],
        cwd=REPO,
        env=os.environ | SERVER_ENV | {"BENCH_GC_FREEZE": "1" if gc_freeze else "0"},
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            fetch(port, ["/bench/minimal/"])
            return server
        except OSError:
            time.sleep(0.5)
    server.kill()
    raise SystemExit("gunicorn did not answer within 120 s")


def delete_cache_keys() -> None:
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(CACHE_URL)
    prefix = settings.CACHES["default"]["KEY_PREFIX"]
    for key in client.scan_iter(f"{prefix}:*", count=1000):
        client.delete(key)
