"""How well a classifier's slugs match labelled ones: the numbers eval and train report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
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


def calibration_error(confidence: Sequence[float], right: Sequence[bool], bins: int = 10) -> float:
    """Expected calibration error: the papers-weighted gap between mean confidence and
    accuracy over equal-width confidence bins."""
    confidence, right = np.asarray(confidence, dtype=float), np.asarray(right, dtype=float)
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    gap = 0.0
    for b in range(bins):
        chosen = which == b
        if chosen.any():
            gap += chosen.sum() * abs(confidence[chosen].mean() - right[chosen].mean())
    return gap / len(confidence)


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def bootstrap(
    gold: Sequence[str], predicted: Sequence[str], rounds: int = 1000, seed: int = 0
) -> dict[str, Interval]:
    """95 % percentile intervals of accuracy, macro-F1 and each category's precision, recall
    and F1, resampling the papers with replacement (macro-F1 over the full set's categories)."""
    slugs = sorted(set(gold))
    index = {slug: i for i, slug in enumerate(slugs)}
    g = np.array([index[s] for s in gold])
    p = np.array([index.get(s, -1) for s in predicted])
    full = evaluate(gold, predicted)
    point = {"accuracy": full.accuracy, "macro_f1": full.macro_f1}
    for row in full.rows:
        point |= {f"{row.slug}:precision": row.precision, f"{row.slug}:recall": row.recall}
        point[f"{row.slug}:f1"] = row.f1
    samples: dict[str, list[float]] = {key: [] for key in point}
    rng = np.random.default_rng(seed)
    n, k = len(g), len(slugs)
    for _ in range(rounds):
        pick = rng.integers(0, n, n)
        gs, ps = g[pick], p[pick]
        true_pos = np.bincount(gs[gs == ps], minlength=k).astype(float)
        labelled = np.bincount(gs, minlength=k).astype(float)
        guessed = np.bincount(ps[ps >= 0], minlength=k).astype(float)
        precision = np.divide(true_pos, guessed, out=np.zeros(k), where=guessed > 0)
        recall = np.divide(true_pos, labelled, out=np.zeros(k), where=labelled > 0)
        total = precision + recall
        f1 = np.divide(2 * precision * recall, total, out=np.zeros(k), where=total > 0)
        samples["accuracy"].append(float((gs == ps).mean()))
        samples["macro_f1"].append(float(f1.mean()))
        for slug, i in index.items():
            samples[f"{slug}:precision"].append(precision[i])
            samples[f"{slug}:recall"].append(recall[i])
            samples[f"{slug}:f1"].append(f1[i])
    return {
        key: Interval(value, *np.percentile(samples[key], [2.5, 97.5]).tolist())
        for key, value in point.items()
    }
