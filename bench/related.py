"""Related papers (papers/related.py): how relevant, offline, on the hand-labelled papers.

Every labelled paper (papers/classifiers/labels/*.jsonl, deduplicated by arXiv id) gets its 8
most similar papers among all the others by the TF-IDF cosine papers/related.py uses (title
twice, then the abstract; sublinear tf, English stop words), and we count how many of them
carry the paper's own label. Chance is the share two random papers share a label (the sum of
the labels' squared shares). Printed too: 20 random papers with their first 3 neighbours, to
read.

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

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from papers.related import RELATED, _text  # noqa: E402

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
    print(
        f"related_papers={len(papers)} related_same_category={same:.4f} "
        f"related_first_same_category={first:.4f} related_chance={chance:.4f}"
    )


if __name__ == "__main__":
    main()
