"""Labelled papers: the set the project ships (labels/*.jsonl), editors' decisions, the split.

A labels file is JSON Lines, one paper a line: `arxiv_id`, `title`, `abstract`, `categories`
(arXiv categories, a list) and `label` (a taxonomy slug), optionally a `note` saying why, the
listing date `listed` (YYYY-MM-DD) and `sample` ("random" or "enriched:<topic>").

The split is by listing date: whole later months (HELD_OUT_FROM on) are held out, every earlier
month trains, so the score predicts a day the model has never seen, as the daily run meets
it. A paper without a `listed` date takes its file name's date (`arxiv-2025-05-27.jsonl`), else
its arXiv id's month (2410.18072 -> 2024-10): the older files all fall before the held-out
months. Editors' decisions train, except one on a held-out paper, which stays held out.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

LABELS_DIR = Path(__file__).resolve().parent / "labels"
HELD_OUT_FROM = "2026-05"  # listing months from this one on are held out (2026-05..2026-08)
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
    listed: str = ""  # listing date, YYYY-MM-DD (or YYYY-MM); "" for an editor's new paper
    sample: str = ""  # "random", "enriched:<topic>", or "" (older files, editors)

    @property
    def month(self) -> str:
        return self.listed[:7]


def read(path: Path, slugs: Iterable[str] | None = None) -> list[Example]:
    """The examples of one file; with `slugs`, a label outside them is an error too."""
    allowed = set(slugs) if slugs is not None else None
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelsError(f"{path}: cannot be read: {exc}") from None
    dated = _FILE_DATE.search(Path(path).name)
    default = dated.group(1) if dated else ""
    examples = [
        _example(path, number, line, allowed, default) for number, line in enumerate(lines, 1)
    ]
    examples = [example for example in examples if example is not None]
    if not examples:
        raise LabelsError(f"{path}: no labelled papers in it.")
    return examples


def shipped(folder: Path | None = None) -> list[Example]:
    """Every labelled paper the project ships, once (a later file's label wins), file order."""
    merged: dict[str, Example] = {}
    for path in sorted(Path(folder or LABELS_DIR).glob("*.jsonl")):
        for example in read(path):
            merged[example.arxiv_id] = example
    return list(merged.values())


def bucket(arxiv_id: str, buckets: int) -> int:
    """A stable bucket of the id, 0 to buckets - 1."""
    return int(hashlib.sha256(arxiv_id.encode()).hexdigest(), 16) % buckets


def is_held_out(example: Example) -> bool:
    """Listed in a held-out month (an editor's new paper, without a date, trains)."""
    return bool(example.listed) and example.month >= HELD_OUT_FROM


def split(examples: Iterable[Example]) -> tuple[list[Example], list[Example]]:
    """(training, held out): earlier listing months train, HELD_OUT_FROM on are held out."""
    training, held_out = [], []
    for example in examples:
        (held_out if is_held_out(example) else training).append(example)
    return training, held_out


def random_sample(examples: Iterable[Example]) -> list[Example]:
    """The papers drawn at random from their month (what a real day looks like)."""
    return [example for example in examples if example.sample == "random"]


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
    """The shipped labels with editors' decisions added; an editor overrides a shipped label
    (the paper keeps its listing date and sample, so a held-out paper stays held out)."""
    merged = {example.arxiv_id: example for example in shipped}
    for decision in decisions:
        known = merged.get(decision.arxiv_id)
        merged[decision.arxiv_id] = (
            replace(known, label=decision.label) if known is not None else decision
        )
    return list(merged.values())


_FILE_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")
_ID_MONTH = re.compile(r"^(\d{2})(\d{2})\.\d{4,5}")


def _listed(row: dict, default: str) -> str:
    listed = row.get("listed")
    if isinstance(listed, str) and listed.strip():
        return listed.strip()
    if default:
        return default
    match = _ID_MONTH.match(row["arxiv_id"].strip())
    return f"20{match.group(1)}-{match.group(2)}" if match else ""


def _example(
    path, number: int, line: str, allowed: set[str] | None, default: str = ""
) -> Example | None:
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
        _listed(row, default),
        str(row.get("sample") or ""),
    )
