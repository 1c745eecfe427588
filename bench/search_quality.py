"""Known-item search quality: does the paper a reader half remembers come first?

Loads every real paper of ../shared/data/arxiv-corpus/papers.jsonl.gz (105,007 arXiv AI papers,
March 2025 – August 2026) into its own PostgreSQL database, each on its listing date, every date
a published day. It then draws 200 of them at random and writes, for each, the query a reader
who remembers the paper might type (the procedure is `known_item_query` below), runs it through
reader/search.py sorted by relevance and newest first, and reports success@1, success@5 (the
paper on the first result, in the first five) and the mean reciprocal rank over the first page
(20 results; a paper further down counts 0), with the relevance search's latency.

How a query is written (deterministic, no model; docs/search.md has a hand check): a title's
leading coined name ("EfficientGFormer: …") is dropped, as what a half-remembering reader has
forgotten; of the rest, lower-cased, without stop words and the words most AI titles carry
(GENERIC), 2 words are drawn from a title with up to 3 such words, 3 from 4-6, 4 from 7 or more,
without replacement, each as likely as it is rare among the corpus's titles (its IDF), by a
generator seeded with the paper's id; they are typed in title order, without quotes. A query
that would be the whole title loses a word, and a title that gives fewer than 2 words is skipped
for the next draw. `--show N` prints N queries beside their titles, to check them by hand.

Run: uv run python bench/search_quality.py [--sample 200 --seed 18 --show 20 --keep --reuse]
Environment: BENCH_SEARCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
dai_bench_search). Its database is created and dropped (kept with --keep, measured again with
--reuse). Ends with one key=value line.
"""

import argparse
import collections
import datetime
import gzip
import json
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "data" / "arxiv-corpus" / "papers.jsonl.gz"
DATABASE_URL = os.environ.get(
    "BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dai_bench_search"
)
PAGE = 20  # reciprocal ranks count on the first page of results
MIN_WORDS, MAX_WORDS = 2, 5
TOKEN = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
STOP_WORDS = (
    "a an and are as at be by for from has have in into is it its of on or our over that the "
    "their this to under up via vs we what when where which while who why will with within "
    "without do does can how not than then there these those through toward towards beyond "
    "between across about after against along among around before behind below both during "
    "each more most other same some such very all any only own so too just"
)
STOP = set(STOP_WORDS.split())
# Words nearly every AI title carries: a reader does not type them to find one paper.
GENERIC_WORDS = (
    "approach approaches method methods model models framework frameworks novel new towards "
    "using based learning study analysis paper efficient effective improved improving "
    "enhanced enhancing robust scalable unified simple better general generalized "
    "task tasks data system systems via neural network networks deep large"
)
GENERIC = set(GENERIC_WORDS.split())


def tokens(title: str) -> list[str]:
    return TOKEN.findall(" ".join(title.split()).lower())


def known_item_query(arxiv_id: str, title: str, idf: dict[str, float], seed: int) -> str | None:
    """The query for one paper, or None when its title cannot give one (see the docstring)."""
    name, colon, rest = title.partition(":")
    if colon and len(tokens(name)) == 1 and tokens(rest):  # "EfficientGFormer: Brain Tumor …"
        title = rest  # a coined name is what a half-remembering reader has forgotten
    words = tokens(title)
    usable = [w for w in dict.fromkeys(words) if w not in STOP and w not in GENERIC and len(w) > 1]
    if len(usable) < MIN_WORDS:
        return None
    wanted = MIN_WORDS + (len(usable) >= 4) + (len(usable) >= 7)
    rng = random.Random(f"{seed}:{arxiv_id}")
    chosen, pool = [], list(usable)
    while len(chosen) < wanted:  # drawn without replacement, each word as likely as it is rare
        word = rng.choices(pool, weights=[idf[w] for w in pool])[0]
        chosen.append(word)
        pool.remove(word)
    if len(chosen) == len(words):  # the whole title: leave one word out
        chosen.pop()
        if len(chosen) < MIN_WORDS:
            return None
    return " ".join(sorted(chosen, key=usable.index))


def read_corpus() -> list[dict]:
    rows = []
    with gzip.open(CORPUS, "rt", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            row["title"] = " ".join(row["title"].split())
            row["abstract"] = " ".join(row["abstract"].split())
            rows.append(row)
    rows.sort(key=lambda row: row["arxiv_id"])
    return rows


def title_idf(rows: list[dict]) -> dict[str, float]:
    df = collections.Counter(w for row in rows for w in set(tokens(row["title"])))
    return {w: math.log(len(rows) / n) for w, n in df.items()}


def draw(rows: list[dict], idf: dict[str, float], size: int, seed: int) -> list[tuple[dict, str]]:
    """`size` (paper, query) pairs drawn at random; titles that give no query are skipped."""
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    chosen = []
    for i in order:
        query = known_item_query(rows[i]["arxiv_id"], rows[i]["title"], idf, seed)
        if query:
            chosen.append((rows[i], query))
            if len(chosen) == size:
                break
    return chosen


def load(rows: list[dict]) -> float:
    """Every paper on its listing date (COPY, as ingest stores a day), every date published."""
    from django.db import connection, transaction
    from django.utils import timezone

    from digest.models import DailyDigest
    from papers.models import Paper

    started = time.perf_counter()
    with transaction.atomic():
        for start in range(0, len(rows), 5000):
            Paper.objects.insert(
                [
                    Paper(
                        arxiv_id=row["arxiv_id"],
                        title=row["title"],
                        abstract=row["abstract"],
                        arxiv_categories=row["categories"],
                        primary_category=row["primary_category"] or "",
                        abs_url=f"https://arxiv.org/abs/{row['arxiv_id']}",
                        announced_on=datetime.date.fromisoformat(row["listed"]),
                    )
                    for row in rows[start : start + 5000]
                ]
            )
        dates = sorted({row["listed"] for row in rows})
        DailyDigest.objects.bulk_create(
            DailyDigest(
                date=datetime.date.fromisoformat(day),
                status=DailyDigest.Status.PUBLISHED,
                published_at=timezone.now(),
            )
            for day in dates
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# --- the measurement ----------------------------------------------------------------------


def rank_of(arxiv_id: str, query: str, sort: str) -> tuple[int | None, float]:
    """Where the paper comes in the first page of the search (1-based), and the seconds taken."""
    from reader import search

    started = time.perf_counter()
    found = list(search.papers(query, sort=sort).values_list("arxiv_id", flat=True)[:PAGE])
    seconds = time.perf_counter() - started
    return (found.index(arxiv_id) + 1 if arxiv_id in found else None), seconds


def score(ranks: list[int | None]) -> dict[str, float]:
    return {
        "success_at_1": sum(r == 1 for r in ranks) / len(ranks),
        "success_at_5": sum(r is not None and r <= 5 for r in ranks) / len(ranks),
        "mrr": sum(1 / r for r in ranks if r) / len(ranks),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--show", type=int, default=20, help="queries printed beside titles")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    args = parser.parse_args()

    os.environ.update(
        DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="config.settings", ANTHROPIC_API_KEY=""
    )
    os.environ.setdefault("DEBUG", "1")
    sys.path.insert(0, str(REPO))
    from bench.databases import create_database, drop_database

    started = time.perf_counter()
    rows = read_corpus()
    idf = title_idf(rows)
    sample = draw(rows, idf, args.sample, args.seed)
    print(f"{len(rows):,} papers read in {time.perf_counter() - started:.1f} s")
    for row, query in sample[: args.show]:
        print(f"  {query!r:45} ← {row['title'][:100]}")

    if not args.reuse:
        create_database(DATABASE_URL)
    import django

    django.setup()
    from django.core.management import call_command

    from papers.models import Paper
    from reader import search

    try:
        call_command("migrate", verbosity=0)
        if not args.reuse:
            print(f"Loading them into {urlsplit(DATABASE_URL).path.lstrip('/')}")
            seconds = load(rows)
            print(f"  {Paper.objects.count():,} papers in {seconds:.0f} s")
        for _, query in sample[:10]:  # connections, caches and plans warm before timing
            rank_of("", query, search.RELEVANCE)
        results, latencies = {}, []
        for sort in (search.RELEVANCE, search.NEWEST):
            ranks = []
            for row, query in sample:
                rank, seconds = rank_of(row["arxiv_id"], query, sort)
                ranks.append(rank)
                if sort == search.RELEVANCE:
                    latencies.append(seconds)
            results[sort] = score(ranks)
            missed = [(q, r["title"]) for (r, q), k in zip(sample, ranks, strict=True) if not k]
            print(f"{sort}: {len(missed)} papers not on the first page, e.g.")
            for query, title in missed[:5]:
                print(f"  {query!r:45} ← {title[:100]}")
        papers = Paper.objects.count()
    finally:
        if not args.keep:
            drop_database(DATABASE_URL)

    latencies.sort()
    print(f"\nKnown-item search, {papers:,} real papers, {len(sample)} queries (seed {args.seed})")
    print(f"{'sort':<12}{'success@1':>11}{'success@5':>11}{'MRR':>8}")
    for sort, figures in results.items():
        print(
            f"{sort:<12}{figures['success_at_1']:>11.3f}{figures['success_at_5']:>11.3f}"
            f"{figures['mrr']:>8.3f}"
        )
    figures = {"papers": papers, "queries": len(sample), "seed": args.seed}
    for sort, values in results.items():
        figures |= {f"{sort}_{key}": round(value, 3) for key, value in values.items()}
    figures["relevance_p50_ms"] = round(1000 * statistics.median(latencies), 1)
    figures["relevance_p99_ms"] = round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 1)
    print(" ".join(f"{k}={v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
