"""Reader pages under load: a year of days in PostgreSQL, gunicorn on 127.0.0.1, a load generator.

Builds the two bundled real days with the pipeline, then generates a year of days from the
real 649-paper day's papers (every real paper once plus a random sample, new arXiv ids, the
real day's summaries re-pointed at the copies) with bulk_create in big batches, ≥ 300,000
papers in all. It then starts gunicorn and measures, each against a minimal Django view (a
bare HttpResponse through the same middleware) in the same run: the day page cached and
uncached (first visits after an invalidation), a category page (uncached), search, the
daily feed uncached and cached, and paper pages (uncached) with their related papers.
Before serving, it times what a new day costs the ingest stage over that archive: storing a
day of real papers the archive lacks (--new-day of them, from the labelled papers) and
computing their related papers (papers/related.py), then rolls that day back.
Its own database is created and dropped, and its cache keys (in Redis) are deleted afterwards.
One script, a little over 300 lines: generating, serving and measuring share one database and
one server's lifetime (the data in pages_data.py, the load generator in pages_load.py).

Run: uv run python bench/pages.py [--days 365 --per-day 830 --workers 2 --concurrency 1
     --gc-freeze --keep --reuse]
Environment: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/dai_bench_pages),
BENCH_CACHE_URL (default redis://127.0.0.1:6379/6). Prints figures, then one key=value line:
the new day's store and relate seconds, and per endpoint requests/second, p50, p99 and failed
requests and their ratios to the minimal view's; it exits 1 after that line if any request
failed.
"""

import argparse
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.databases import create_database, drop_database  # noqa: E402
from bench.pages_data import (  # noqa: E402
    DATABASE_URL,
    existing,
    generate,
    relate_latest,
    relate_new_day,
)
from bench.pages_load import (  # noqa: E402
    SERVER_ENV,
    delete_cache_keys,
    measure,
    start_server,
)

SEARCHES = [
    "diffusion",
    "reinforcement learning",
    "language model",
    "graph neural network",
    '"large language models" -reasoning',
    "robot manipulation",
    "3D Gaussian splatting",
    "quantization",
    "retrieval augmented generation",
    "federated",
    "benchmark",
    "medical image segmentation",
    "speech recognition",
    "멀티모달",
    "hallucination OR jailbreak",
]


def minimal(request):
    """The floor every page is measured against: nothing but the framework and middleware."""
    from django.http import HttpResponse

    return HttpResponse(b"ok", content_type="text/plain")


def __getattr__(name):
    """This module is the server's URLconf: the project's URLs plus the minimal view."""
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/minimal/", minimal), path("", include("config.urls"))]
    raise AttributeError(name)


def application():
    """gunicorn's app factory ("bench.pages:application()"), loaded once before the fork.

    With BENCH_GC_FREEZE=1 it compiles the reader's templates, loads the translations and the
    URLconf, then moves every object of the loaded app out of the garbage collector's reach: a
    Django process here tracks ~350,000 objects (the Anthropic SDK, scikit-learn, matplotlib),
    and each full collection of them pauses a request ~250 ms.
    """
    import gc
    import logging

    import django
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    django.setup()
    settings.ROOT_URLCONF = __name__
    app = get_wsgi_application()  # which configures logging again
    # gunicorn.conf.py logs every request as JSON on stderr: measure the pages, not the log.
    logging.getLogger("gunicorn.access").disabled = True
    if os.environ.get("BENCH_GC_FREEZE") == "1":
        get_resolver().url_patterns  # noqa: B018 - imports the views
        for name in ("day", "category", "archive", "paper", "search"):
            get_template(f"reader/{name}.html")
        for language, _ in settings.LANGUAGES:
            translation.activate(language)
        translation.deactivate()
        gc.freeze()
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=830)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="clients at once (1: each page's own latency, as the load generator and PostgreSQL"
        " share the machine's CPUs with the server)",
    )
    parser.add_argument("--requests", type=int, default=600, help="per cached endpoint")
    parser.add_argument(
        "--new-day", type=int, default=1500, help="papers of the new day related to the archive"
    )
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--keep", action="store_true", help="keep the database afterwards (to study plans)"
    )
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    parser.add_argument(
        "--gc-freeze", action="store_true", help="gc.freeze() the loaded app before the fork"
    )
    args = parser.parse_args()

    os.environ.update(SERVER_ENV)
    sys.path.insert(0, str(REPO))
    if not args.reuse:
        create_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command
    from django.urls import reverse

    from reader import pagecache

    server = None
    try:
        print(f"Database {urlsplit(DATABASE_URL).path.lstrip('/')}: migrating")
        call_command("migrate", verbosity=0)
        call_command("collectstatic", verbosity=0, interactive=False)
        if args.reuse:
            data = existing()
        else:
            print(f"Generating {args.days} days of {args.per_day} papers from the real days")
            data = generate(args.days, args.per_day, args.seed)
            print(
                f"  {data['papers']:,} papers, {data['days']} published days"
                f" in {data['seconds']:.0f} s ({data['papers'] / data['seconds']:,.0f} papers/s)"
            )
        print(f"Relating a new {args.new_day}-paper day to the archive")
        data["new_day"] = relate_new_day(args.new_day, args.seed)
        new_day = data["new_day"]
        print(
            f"  store {new_day['store_seconds']:.1f} s, relate {new_day['relate_seconds']:.1f} s"
            f" ({new_day['papers'] / new_day['relate_seconds']:.0f} papers/s)"
        )
        started = time.perf_counter()
        paper_pages = [reverse("paper", args=[arxiv_id]) for arxiv_id in relate_latest(300)]
        print(f"  related papers of 300 for their pages in {time.perf_counter() - started:.1f} s")
        server = start_server(args.workers, args.port, args.gc_freeze)
        days = [reverse("day", args=[d]) for d in reversed(data["dates"])]
        category = [reverse("category", args=[slug]) for slug in _latest_chart_slugs()]
        searches = [f"{reverse('search')}?{urlencode({'q': q})}" for q in SEARCHES]
        searches += [s + "&page=2" for s in searches[:5]]
        # By relevance (the default, above), filtered by category and dates, and newest first.
        searches += [s + "&category=computer-vision&from=2025-01-01" for s in searches[:5]]
        newest = [s + "&sort=newest" for s in searches[: len(SEARCHES)]]
        feed = _feed_url()

        n, clients = args.requests, args.concurrency
        with ProcessPoolExecutor(clients) as pool:

            def run(paths_or_rounds, before=None) -> dict:
                """Measured right after the minimal view, so both see the same machine load."""
                floor = measure(pool, args.port, [["/bench/minimal/"] * n], clients)
                result = measure(pool, args.port, paths_or_rounds, clients, before)
                return result | {
                    "floor_rps": floor["rps"],
                    "floor_p50_ms": floor["p50_ms"],
                    "floor_p99_ms": floor["p99_ms"],
                }

            # Every worker has loaded its templates and connections before anything is timed.
            warm_up = ["/bench/minimal/", *days[-4:], *searches, category[0]]
            measure(pool, args.port, [warm_up * 2 + ([feed] if feed else [])], clients)
            results = {"minimal": run([["/bench/minimal/"] * n])}

            def invalidate():
                """What publishing does; servers trust the generation they read for a second."""
                pagecache.invalidate()
                time.sleep(pagecache.GENERATION_TTL + 0.1)

            # Uncached: the first visit to each day after a new cache generation.
            results["day_uncached"] = run([days[:200]], before=invalidate)
            warm = days[:50]
            measure(pool, args.port, [warm], clients)
            results["day_cached"] = run([(warm * (n // len(warm) + 1))[:n]])
            results["category_uncached"] = run([category] * 10, before=invalidate)
            results["paper"] = run([paper_pages], before=invalidate)
            results["search"] = run([(searches * (300 // len(searches) + 1))[:300]])
            results["search_newest"] = run([(newest * (300 // len(newest) + 1))[:300]])
            if feed:  # rendered on the first request after a change, then from the cache
                results["feed_uncached"] = run([[feed]] * 10, before=invalidate)
                results["feed"] = run([[feed] * 100])
    finally:
        if server:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        delete_cache_keys()
        if not args.keep:
            drop_database(DATABASE_URL)

    report(results, data, args)


def _latest_chart_slugs() -> list[str]:
    """The current slugs of the latest day's chart categories, largest first."""
    from digest.models import DailyDigest
    from papers.models import Category

    slug = dict(Category.objects.values_list("pk", "slug"))
    return [slug[s["category"]] for s in DailyDigest.objects.published().latest().chart]


def _feed_url() -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("feed-daily-rss")
    except NoReverseMatch:
        return None


def report(results: dict, data: dict, args) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{data['papers']:,} papers over {data['days']} days; gunicorn {args.workers} workers, "
        f"{args.concurrency} clients at once on 127.0.0.1 ({os.cpu_count()} CPUs, load {load}),"
        f" gc.freeze {'on' if args.gc_freeze else 'off'};"
        " ratios against the minimal view measured just before each endpoint"
    )
    print(f"{'endpoint':<18}{'requests':>9}{'errors':>7}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
          f"{'KiB':>8}{'minimal req/s':>15}{'req/s ratio':>13}{'p99 ratio':>11}")  # fmt: skip
    for name, r in results.items():
        print(
            f"{name:<18}{r['requests']:>9}{r['errors']:>7}{r['rps']:>9.1f}{r['p50_ms']:>9.1f}"
            f"{r['p99_ms']:>9.1f}{r['kb']:>8.1f}{r['floor_rps']:>15.1f}"
            f"{r['rps'] / r['floor_rps']:>13.3f}{r['p99_ms'] / r['floor_p99_ms']:>11.1f}"
        )
    figures = {"papers": data["papers"], "days": data["days"]}
    if data["seconds"]:
        figures["generate_seconds"] = round(data["seconds"], 1)
    new_day = data["new_day"]
    figures |= {
        "new_day_papers": new_day["papers"],
        "new_day_with_related": new_day["with_related"],
        "new_day_store_seconds": round(new_day["store_seconds"], 2),
        "relate_day_seconds": round(new_day["relate_seconds"], 2),
        "relate_papers_per_second": round(new_day["papers"] / new_day["relate_seconds"], 1),
        "relate_store_ratio": round(new_day["relate_seconds"] / new_day["store_seconds"], 1),
    }
    for name, r in results.items():
        figures[f"{name}_rps"] = round(r["rps"], 1)
        figures[f"{name}_p50_ms"] = round(r["p50_ms"], 1)
        figures[f"{name}_p99_ms"] = round(r["p99_ms"], 1)
        figures[f"{name}_errors"] = r["errors"]
        if name != "minimal":
            figures[f"{name}_throughput_ratio"] = round(r["rps"] / r["floor_rps"], 3)
            figures[f"{name}_p50_ratio"] = round(r["p50_ms"] / r["floor_p50_ms"], 2)
            figures[f"{name}_p99_ratio"] = round(r["p99_ms"] / r["floor_p99_ms"], 2)
    errors = sum(r["errors"] for r in results.values())
    # The targets are judged by bench/run_all.py (bench/targets.py), not here.
    print(" ".join(f"{k}={v}" for k, v in figures.items()))
    if errors:
        raise SystemExit(f"{errors} requests failed")


if __name__ == "__main__":
    main()
