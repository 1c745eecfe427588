"""Parse and store an announcement day from arXiv API answers, against a throwaway test database.

The answers are rendered in the current API's exact format (tests/fixtures/arxiv/server.py) from
the real papers of 2025-05-27 (649, data/days); the 1,500-paper day adds re-keyed copies of
them (ids 2505.9xxxx), as no recorded real day is that large. They are served by an in-memory
transport, with arXiv's 3 s pacing faked, so the figures are our work only.

For each size: the bare parse (the XML pages to paper records through the arxiv package, as the
ingest reads them; and an lxml parse alone, for scale), the store (the bulk upsert and the
digest's papers in one transaction) and the whole ingest stage (listing, fetch, parse, store),
with the queries each used; and, on PostgreSQL, what computing the stored papers' search vectors
(weighted to_tsvector, reader/migrations/0001) costs alone, as part of the store is that, for
search (issues 6 and 18).
Run: DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/daily_ai_insights \
     uv run python bench/ingest.py
"""

import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from lxml import etree  # noqa: E402

from digest.ingest import ingest_day  # noqa: E402
from digest.models import DailyDigest  # noqa: E402
from papers.models import Paper  # noqa: E402
from papers.sources import http_backoff  # noqa: E402
from papers.sources.arxiv import BATCH, Arxiv  # noqa: E402
from papers.store import store_papers  # noqa: E402
from tests.fixtures.arxiv.server import Clock, Day, FakeArxiv, feed_xml, real_papers  # noqa: E402

DAY = datetime.date(2025, 5, 27)
SIZES = (649, 1500)
RUNS = 5  # the best of several runs: other work on the machine only adds time


def papers_of(size: int) -> list[dict]:
    real = real_papers()
    extra = [real[n % len(real)] | {"arxiv_id": f"2505.{90000 + n}"} for n in range(size)]
    return (real + extra)[:size]


def client(fake: FakeArxiv) -> Arxiv:
    clock = Clock()
    return Arxiv.from_settings(adapter=fake, clock=clock, backoff=http_backoff(sleep=clock.sleep))


def empty_tables() -> None:
    """Each run stores into fresh tables: deleted rows would bloat the indexes run after run."""
    if connection.vendor == "postgresql":
        tables = [Paper._meta.db_table, DailyDigest._meta.db_table]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        Paper.objects.all().delete()
        DailyDigest.objects.all().delete()


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def measure(size: int) -> dict:
    papers = papers_of(size)
    # Cross-lists to outside categories would leave some papers unlisted: list every one.
    categories = sorted({p["primary_category"] for p in papers})
    fake = FakeArxiv([Day(DAY, papers, categories)])
    ids = [p["arxiv_id"] for p in papers]
    pages = [
        feed_xml([fake.entries[i] for i in ids[n : n + BATCH]], "bench", BATCH, 0, BATCH)
        for n in range(0, size, BATCH)
    ]

    def parse():
        return [record for batch in client(fake).papers(ids) for record in batch]

    def xml_only():
        return [etree.fromstring(page) for page in pages]

    def store(records):
        with transaction.atomic():
            stored = store_papers(records, announced_on=DAY)
            digest, _ = DailyDigest.objects.get_or_create(date=DAY)
            digest.papers.set([paper.pk for paper in stored.papers])
        return stored

    # Parse and store alternate, so that both see the same load from whatever else runs.
    runs = []
    for _ in range(RUNS):
        parse_seconds, records = timed(parse)
        empty_tables()
        with CaptureQueriesContext(connection) as queries:
            store_seconds, stored = timed(lambda records=records: store(records))
        assert stored.created == size
        runs.append((parse_seconds, store_seconds, len(queries)))
    xml_seconds = min(timed(xml_only)[0] for _ in range(RUNS))

    ingest_runs = []
    settings.DIGEST_ARXIV_CATEGORIES = categories
    for _ in range(RUNS):
        empty_tables()
        source = client(fake)
        with CaptureQueriesContext(connection) as queries:
            seconds, result = timed(
                lambda source=source: ingest_day(
                    DAY, "arxiv", arxiv=source, daily_papers=NoPopularity()
                )
            )
        assert result.digest.is_complete and result.created == size
        ingest_runs.append((seconds, len(queries)))
    ingest_seconds, ingest_queries = min(ingest_runs)
    vector_seconds = min(timed(search_vectors)[0] for _ in range(RUNS))
    return {
        "papers": size,
        "xml_bytes": sum(len(page) for page in pages),
        "xml_seconds": xml_seconds,
        "parse_seconds": min(run[0] for run in runs),
        "store_seconds": min(run[1] for run in runs),
        "store_queries": runs[0][2],
        "ratio": statistics.median(run[1] / run[0] for run in runs),
        "ingest_seconds": ingest_seconds,
        "ingest_queries": ingest_queries,
        "vector_seconds": vector_seconds,
    }


def search_vectors() -> None:
    """Compute the stored papers' search vectors again, as storing them does (weighted: title A,
    abstract B, reader/migrations/0001)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') "
            "|| setweight(to_tsvector('english'::regconfig, coalesce(abstract, '')), 'B')) "
            "FROM papers_paper"
        )


class NoPopularity:
    """Hugging Face is not part of this measurement."""

    def fetch(self, day):
        return []


def main() -> None:
    old_name = connection.settings_dict["NAME"]
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        figures = [measure(size) for size in SIZES]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)

    for f in figures:
        print(
            f"{f['papers']:5d} papers, {f['xml_bytes'] / 1e6:.1f} MB of XML: "
            f"lxml alone {f['xml_seconds']:.3f} s, parse {f['parse_seconds']:.3f} s, "
            f"store {f['store_seconds']:.3f} s ({f['store_queries']} queries, "
            f"median {f['ratio']:.2f}x the parse), whole ingest {f['ingest_seconds']:.3f} s "
            f"({f['ingest_queries']} queries, {f['papers'] / f['ingest_seconds']:.0f} papers/s); "
            f"of the store, computing the search vectors {f['vector_seconds']:.3f} s"
        )
    big = figures[-1]
    print(
        f"database={connection.vendor} papers={big['papers']} "
        f"parse_seconds={big['parse_seconds']:.3f} store_seconds={big['store_seconds']:.3f} "
        f"store_parse_ratio={big['ratio']:.2f} "
        f"store_queries={big['store_queries']} ingest_seconds={big['ingest_seconds']:.3f} "
        f"ingest_queries={big['ingest_queries']} "
        f"papers_per_second={big['papers'] / big['ingest_seconds']:.0f} "
        f"real_day_store_parse_ratio={figures[0]['ratio']:.2f} "
        f"search_vector_seconds={big['vector_seconds']:.3f} "
        f"store_parse_ratio_without_search_vector="
        f"{(big['store_seconds'] - big['vector_seconds']) / big['parse_seconds']:.2f}"
    )


if __name__ == "__main__":
    main()
