"""Labelled papers: the set the project ships (labels/*.jsonl), editors' decisions, the split.

A labels file is JSON Lines, one paper a line: `arxiv_id`, `title`, `abstract`, `categories`
(arXiv categories, a list) and `label` (a taxonomy slug), optionally a `note` saying why.
Which papers are held out depends on the arXiv id alone, so the split never moves when labels
are corrected or added, and an editor's decision on a held-out paper stays held out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

LABELS_DIR = Path(__file__).resolve().parent / "labels"
HELD_OUT_EVERY = 4  # one paper in four is held out
FIELDS = ("arxiv_id", "title", "abstract", "categories", "label")


class LabelsError(ValueError):
    """A labels file cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class Example:
    arxiv_id: str
    title: str
    abstract: str
    categories: tuple[str, ...]
    label: str


def read(path: Path, slugs: Iterable[str] | None = None) -> list[Example]:
    """The examples of one file; with `slugs`, a label outside them is an error too."""
    allowed = set(slugs) if slugs is not None else None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: cannot be read: {exc}") from None
    examples = [_example(path, number, line, allowed) for number, line in enumerate(lines, 1)]
    examples = [example for example in examples if example is not None]
    if not examples:
        raise LabelsError(f"{path}: no labelled papers in it.")
    return examples


def shipped() -> list[Example]:
    """Every labelled paper the project ships, in file order."""
    return [example for path in sorted(LABELS_DIR.glob("*.jsonl")) for example in read(path)]


def bucket(arxiv_id: str, buckets: int) -> int:
    """A stable bucket of the id, 0 to buckets - 1."""
    return int(hashlib.sha256(arxiv_id.encode()).hexdigest(), 16) % buckets


def is_held_out(arxiv_id: str) -> bool:
    return bucket(arxiv_id, HELD_OUT_EVERY) == 0


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(training, held out)."""
    training, held_out = [], []
    for example in examples:
        (held_out if is_held_out(example.arxiv_id) else training).append(example)
    return training, held_out


def editor_decisions() -> list[Example]:
    """Papers whose category an editor chose; papers without an arXiv id go by their URL."""
    from papers.models import Paper  # labels files are read where Django is not set up

    papers = Paper.objects.filter(category_method=Paper.Method.EDITOR, category__isnull=False)
    rows = papers.values_list(
        "arxiv_id", "abs_url", "title", "abstract", "arxiv_categories", "category__slug"
    )
    return [
        Example(arxiv_id or url, title, abstract, tuple(categories or ()), label)
        for arxiv_id, url, title, abstract, categories, label in rows
    ]


def merge(shipped: Iterable[Example], decisions: Iterable[Example]) -> list[Example]:
    """The shipped labels with editors' decisions added; an editor overrides a shipped label."""
    merged = {example.arxiv_id: example for example in shipped}
    merged.update((example.arxiv_id, example) for example in decisions)
    return list(merged.values())


def _example(path, number: int, line: str, allowed: set[str] | None) -> Example | None:
    if not line.strip():
        return None
    where = f"{path}:{number}"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelsError(f"{where}: not JSON ({exc.msg}).") from None
    if not isinstance(row, dict):
        raise LabelsError(f"{where}: expected a JSON object.")
    missing = [field for field in FIELDS if field not in row]
    if missing:
        raise LabelsError(f"{where}: missing {', '.join(missing)}.")
    texts = [row[field] for field in ("arxiv_id", "title", "abstract", "label")]
    categories = row["categories"] or []
    if not all(isinstance(text, str) for text in texts) or not isinstance(categories, list):
        raise LabelsError(
            f"{where}: arxiv_id, title, abstract and label must be strings, categories a list."
        )
    if not row["arxiv_id"].strip() or not row["title"].strip():
        raise LabelsError(f"{where}: empty arxiv_id or title.")
    if allowed is not None and row["label"] not in allowed:
        raise LabelsError(f"{where}: label {row['label']!r} is not a taxonomy slug.")
    return Example(
        row["arxiv_id"].strip(),
        " ".join(row["title"].split()),
        " ".join(row["abstract"].split()),
        tuple(str(code) for code in categories),
        row["label"],
    )
