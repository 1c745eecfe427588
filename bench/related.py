"""Related papers (papers/related.py): how relevant, offline, on the hand-labelled papers.

Every labelled paper (papers/classifiers/labels/*.jsonl, deduplicated by arXiv id) gets its 8
most similar papers among all the others by the TF-IDF cosine papers/related.py uses (title
twice, then the abstract; sublinear tf, English stop words), and we count how many of them
carry the paper's own label. Chance is the share two random papers share a label (the sum of
the labels' squared shares). Printed too: 20 random papers with their first 3 neighbours, to
read.

Then the path an archive of more than IN_MEMORY_UP_TO papers takes on PostgreSQL: the same
papers stored in a database of the bench's own (BENCH_RELATED_DATABASE_URL, created and
dropped) and related by `relate()` in 1,500-paper days with that path forced, to show what its
candidates (a full-text query, not the whole archive) cost in relevance: the share with the
paper's label again, and how many of the exact 8 nearest it finds.

Run: DEBUG=1 uv run python bench/related.py
"""

import json
import os
import random
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
DATABASE_URL = os.environ.get(
    "BENCH_RELATED_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dai_bench_related"
)
os.environ["DATABASE_URL"] = DATABASE_URL

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from bench.databases import create_database, drop_database  # noqa: E402
from papers import related  # noqa: E402
from papers.related import RELATED, _text  # noqa: E402

DAY = 1500  # papers related at once, as a day's ingest does

LABELS = REPO / "papers" / "classifiers" / "labels"


def labelled() -> list[dict]:
    papers = {}
    for path in sorted(LABELS.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("label") and row.get("abstract"):
                papers.setdefault(row["arxiv_id"], row)
    return list(papers.values())


def main() -> None:
    papers = labelled()
    labels = np.array([p["label"] for p in papers])
    vectors = TfidfVectorizer(stop_words="english", sublinear_tf=True).fit_transform(
        [_text(p["title"], p["abstract"]) for p in papers]
    )
    neighbours = np.zeros((len(papers), RELATED), dtype=int)
    for start in range(0, len(papers), 1000):
        block = (vectors[start : start + 1000] @ vectors.T).toarray()
        for i in range(block.shape[0]):
            block[i, start + i] = -1  # not itself
        neighbours[start : start + 1000] = np.argsort(-block, axis=1)[:, :RELATED]
    same = (labels[neighbours] == labels[:, None]).mean()
    first = (labels[neighbours[:, 0]] == labels).mean()
    shares = np.array(list(Counter(labels).values())) / len(labels)
    chance = float((shares**2).sum())

    rng = random.Random(15)
    print("20 random papers and their 3 nearest:")
    for i in rng.sample(range(len(papers)), 20):
        print(f"- [{labels[i]}] {papers[i]['title'][:90]}")
        for j in neighbours[i, :3]:
            print(f"    ~ [{labels[j]}] {papers[j]['title'][:86]}")
    print(
        f"\n{len(papers)} labelled papers, {len(shares)} labels: {same:.1%} of the {RELATED} "
        f"nearest share the paper's label ({first:.1%} of the first); chance {chance:.1%}"
    )
    pg = full_text_path(papers)
    print(
        f"The PostgreSQL path (full-text candidates), by days of {DAY}: {pg['same']:.1%} share "
        f"the label ({pg['first']:.1%} of the first); {pg['recall']:.1%} of the exact 8 nearest "
        f"found; {pg['seconds']:.1f} s"
    )
    print(
        f"related_papers={len(papers)} related_same_category={same:.4f} "
        f"related_first_same_category={first:.4f} related_chance={chance:.4f} "
        f"related_pg_same_category={pg['same']:.4f} "
        f"related_pg_first_same_category={pg['first']:.4f} "
        f"related_pg_exact_recall={pg['recall']:.4f} related_pg_seconds={pg['seconds']:.1f}"
    )


def full_text_path(papers: list[dict]) -> dict:
    """The labelled papers related through PostgreSQL's full-text candidates, in a database of
    their own: shares with the label, and the share of the exact (in memory) 8 nearest found."""
    import datetime
    import time

    from django.core.management import call_command
    from django.db import connection

    from papers.models import Paper, RelatedPaper

    create_database(DATABASE_URL)
    try:
        call_command("migrate", verbosity=0)
        Paper.objects.bulk_create(
            [
                Paper(
                    arxiv_id=p["arxiv_id"],
                    title=p["title"],
                    abstract=p["abstract"],
                    abs_url=f"https://arxiv.org/abs/{p['arxiv_id']}",
                    announced_on=datetime.date(2025, 1, 1),
                )
                for p in papers
            ],
            batch_size=1000,
        )
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Paper._meta.db_table}")  # the common terms' stats
        rows = list(
            Paper.objects.order_by("arxiv_id").only("arxiv_id", "title", "abstract", "revised_at")
        )
        related.IN_MEMORY_UP_TO = 0  # the path of an archive too big to compare whole
        started = time.perf_counter()
        for start in range(0, len(rows), DAY):
            related.relate(rows[start : start + DAY])
        seconds = time.perf_counter() - started
        by_id = {p["arxiv_id"]: p["label"] for p in papers}
        label = {row.pk: by_id[row.arxiv_id] for row in rows}
        found: dict[int, list[int]] = {}
        for pk, other in RelatedPaper.objects.order_by("paper", "rank").values_list(
            "paper", "related"
        ):
            found.setdefault(pk, []).append(other)
        texts = {row.pk: _text(row.title, row.abstract) for row in rows}
        exact = related.nearest(texts, list(texts), None, RELATED)
    finally:
        drop_database(DATABASE_URL)
    same = [label[o] == label[pk] for pk, others in found.items() for o in others]
    recall = [
        len(set(found.get(pk, ())) & {o for o, _ in best}) / len(best)
        for pk, best in exact.items()
        if best
    ]
    return {
        "same": float(np.mean(same)),
        "first": float(np.mean([label[others[0]] == label[pk] for pk, others in found.items()])),
        "recall": float(np.mean(recall)),
        "seconds": seconds,
    }


if __name__ == "__main__":
    main()
