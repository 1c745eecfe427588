"""How well a classifier's slugs match labelled ones: the numbers eval and train report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.metrics import precision_recall_fscore_support


@dataclass(frozen=True)
class Row:
    slug: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Evaluation:
    size: int
    accuracy: float
    macro_f1: float  # over the slugs in the gold labels, so a slug nobody labelled cannot score
    rows: list[Row]
    confusions: list[tuple[str, str, int]]  # (labelled, predicted, papers), most frequent first

    def lines(self, confusions: int = 10) -> list[str]:
        """A plain-text report whose last line is `macro-F1 <value>`."""
        out = [f"{'category':<24} {'precision':>9} {'recall':>7} {'F1':>6} {'papers':>6}"]
        out += [
            f"{row.slug:<24} {row.precision:9.3f} {row.recall:7.3f} {row.f1:6.3f} {row.support:6d}"
            for row in self.rows
        ]
        if self.confusions:
            out.append("most frequent confusions (labelled -> predicted):")
            out += [f"  {gold} -> {guess}: {n}" for gold, guess, n in self.confusions[:confusions]]
        out.append(f"papers {self.size}, accuracy {self.accuracy:.4f}")
        out.append(f"macro-F1 {self.macro_f1:.4f}")
        return out


def evaluate(gold: Sequence[str], predicted: Sequence[str]) -> Evaluation:
    if len(gold) != len(predicted) or not gold:
        raise ValueError("evaluate() needs as many predictions as labels, and at least one.")
    slugs = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=slugs, zero_division=0
    )
    rows = [
        Row(slug, float(p), float(r), float(f), int(n))
        for slug, p, r, f, n in zip(slugs, precision, recall, f1, support, strict=True)
    ]
    errors = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return Evaluation(
        size=len(gold),
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        macro_f1=sum(row.f1 for row in rows) / len(rows),
        rows=rows,
        confusions=[(g, p, n) for (g, p), n in errors.most_common()],
    )
