"""Send one day to 10,000 confirmed subscribers through a local SMTP server (issue 16).

Builds the bundled 649-paper day (2025-05-27) offline in a throwaway test database, creates
SUBSCRIBERS confirmed subscribers with varied filters (seeded: half follow every category, the
rest one to three; a third add keywords, a fifth exclude one), starts an aiosmtpd server in a
process of its own that accepts and counts every message, then runs the real sending path:
`followers.delivery.dispatch` (the rows, the chunks) and `send_chunk` for every chunk, in
PROCESSES processes (the workers), with the send rate limit off. Reports messages per second
and the time end to end; checks that the server received exactly one message per subscriber
whose filter matched something. Target: >= 200 messages/s.

    DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
        uv run python bench/followers_send.py [--subscribers 10000] [--processes 2]

With PROFILE=1 one chunk is sent under cProfile first (and sent again in the measured run).
Ends with one key=value line.
"""

import argparse
import asyncio
import datetime
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

DAY = datetime.date(2025, 5, 27)
KEYWORDS = [
    "diffusion", "LLM", "agent", "reinforcement", "benchmark", "robot", "vision", "retrieval",
    "reasoning", "graph", "speech", "alignment", "quantization", "transformer", "medical",
    "3D", "video", "multimodal", "safety", "RLHF",
]  # fmt: skip


def sink(port: int) -> None:
    """The SMTP server: accept every message, count them; print the count on SIGTERM."""
    import signal

    from aiosmtpd.controller import Controller

    class Counter:
        count = 0

        async def handle_DATA(self, server, session, envelope):
            Counter.count += len(envelope.rcpt_tos)
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()

    def stop(*_):
        controller.stop()
        print(Counter.count, flush=True)
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    asyncio.run(asyncio.sleep(10**6))


def _cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def send(work) -> dict:
    from django.db import connection

    from followers import delivery

    connection.close()  # a connection of this process's own
    totals = {"sent": 0, "empty": 0, "failed": 0, "deferred": 0, "skipped": 0}
    for kind, issue, ids in work:
        outcome = delivery.send_chunk(kind, datetime.date.fromisoformat(issue), ids)
        for key, value in outcome.counts().items():
            totals[key] += value
    connection.close()
    return totals


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # as a production worker: no log of every query (DEBUG=1: the key)
    from django.db import connection
    from django.utils import timezone

    from digest import pipeline
    from digest.models import DailyDigest
    from followers import delivery
    from followers.models import Delivery, Subscriber
    from papers.models import Category

    port = free_port()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.FOLLOWERS_SEND_RATE = 0
    settings.FOLLOWERS_SITE_URL = "https://digest.example.org"
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    context = multiprocessing.get_context("fork")
    try:
        started = time.perf_counter()
        pipeline.build_digest(DAY)
        print(f"built {DAY}: {time.perf_counter() - started:.1f} s", flush=True)
        DailyDigest.objects.filter(date=DAY).update(published_at=timezone.now())

        rng = random.Random(16)
        slugs = list(Category.objects.values_list("slug", flat=True))
        categories = {c.slug: c for c in Category.objects.all()}
        confirmed = timezone.now() - datetime.timedelta(days=1)
        rows = []
        for n in range(args.subscribers):
            rows.append(
                Subscriber(
                    email=f"reader{n}@example.org",
                    confirmed_at=confirmed,
                    language="ko" if rng.random() < 0.8 else "en",
                    include=rng.sample(KEYWORDS, rng.randint(1, 2)) if rng.random() < 1 / 3 else [],
                    exclude=rng.sample(KEYWORDS, 1) if rng.random() < 0.2 else [],
                )
            )
        Subscriber.objects.bulk_create(rows, batch_size=2000)
        links = []
        through = Subscriber.categories.through
        for subscriber in Subscriber.objects.only("pk"):
            if rng.random() < 0.5:
                for slug in rng.sample(slugs, rng.randint(1, 3)):
                    links.append(
                        through(subscriber_id=subscriber.pk, category_id=categories[slug].pk)
                    )
        through.objects.bulk_create(links, batch_size=5000)

        server = subprocess.Popen(
            [sys.executable, __file__, "--sink", str(port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

        if os.environ.get("PROFILE"):  # one chunk under cProfile, then sent again
            import cProfile
            import pstats

            work = delivery.dispatch(DAY)
            cProfile.runctx(
                "send(work[:4])", globals(), {"send": send, "work": work}, "/tmp/prof16"
            )
            pstats.Stats("/tmp/prof16").sort_stats("tottime").print_stats(30)
            Delivery.objects.update(state=Delivery.State.PENDING)
        start = time.perf_counter()
        cpu_before = _cpu()
        work = delivery.dispatch(DAY)
        dispatched = time.perf_counter() - start
        shares = [work[i :: args.processes] for i in range(args.processes)]
        connection.close()
        with context.Pool(args.processes) as pool:
            results = pool.map(send, shares)
        elapsed = time.perf_counter() - start
        server.terminate()
        received = int(server.communicate(timeout=30)[0].strip() or 0)
        cpu = _cpu() - cpu_before  # the senders, the SMTP server and this process

        totals = {key: sum(r[key] for r in results) for key in results[0]}
        sent = Delivery.objects.filter(state=Delivery.State.SENT).count()
        empty = Delivery.objects.filter(state=Delivery.State.EMPTY).count()
        rate = sent / elapsed
        print(
            f"{args.subscribers:,} subscribers, {args.processes} processes: {sent:,} sent, "
            f"{empty:,} with nothing matching, {totals['failed']} failed, "
            f"{totals['deferred']} deferred; the server received {received:,}",
            flush=True,
        )
        print(
            f"dispatch (rows and chunks) {dispatched:.2f} s; end to end {elapsed:.1f} s: "
            f"{rate:.0f} messages/s (target >= 200)",
            flush=True,
        )
        cpu_ms = cpu / max(sent, 1) * 1000
        capacity = os.cpu_count() / (cpu / max(sent, 1))
        print(
            f"CPU {cpu:.1f} s ({cpu_ms:.1f} ms a message, SMTP server included, PostgreSQL not): "
            f"{capacity:.0f} messages/s on {os.cpu_count()} idle cores; load average "
            f"{os.getloadavg()[0]:.1f} while it ran",
            flush=True,
        )
        if not os.environ.get("PROFILE"):  # a profiled chunk was sent twice
            assert received == sent == totals["sent"], (received, sent, totals)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    print(
        f"subscribers={args.subscribers} processes={args.processes} sent={sent} empty={empty} "
        f"received={received} seconds={elapsed:.1f} messages_per_second={rate:.0f} "
        f"cpu_ms_per_message={cpu_ms:.1f} cpu_bound_messages_per_second={capacity:.0f}"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sink":
        sink(int(sys.argv[2]))
    else:
        main()
