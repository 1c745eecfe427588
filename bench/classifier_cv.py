"""Cross-validate the local classifier's features and model inside the TRAINING split of the
shipped labels: how its design is chosen (docs/classifier.md), never looking at the held-out
papers. Folds are stratified by label and dealt by id hash, repeated with different hash seeds;
the rule classifier (which learns nothing) is the baseline measured in the same run.
Takes a few minutes on 2 CPUs (one fit a fold).
Run: DEBUG=1 uv run python bench/classifier_cv.py [--folds 5] [--repeats 5]
"""

import argparse
import hashlib
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from papers.classifiers import labelled, local, metrics, rules  # noqa: E402


def folds(examples, count: int, seed: int) -> list[int]:
    """Each label's papers ordered by a seeded id hash and dealt round the folds in turn."""
    by_label: dict[str, list[int]] = {}
    for i, example in enumerate(examples):
        by_label.setdefault(example.label, []).append(i)
    fold, dealt = [0] * len(examples), 0
    for label in sorted(by_label):
        ordered = sorted(
            by_label[label],
            key=lambda i: hashlib.sha256(f"{seed}:{examples[i].arxiv_id}".encode()).hexdigest(),
        )
        for i in ordered:
            fold[i], dealt = dealt % count, dealt + 1
    return fold


def out_of_fold(examples, count: int, seed: int) -> list[str]:
    assigned = folds(examples, count, seed)
    predicted = [""] * len(examples)
    for fold in range(count):
        inside = [e for e, f in zip(examples, assigned, strict=True) if f != fold]
        outside = [i for i, f in enumerate(assigned) if f == fold]
        model = local.untrained(0).fit(inside)
        texts = [(examples[i].title, examples[i].abstract, examples[i].categories) for i in outside]
        for i, decision in zip(outside, model.predict(texts), strict=True):
            predicted[i] = decision.slug
    return predicted


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    training, _ = labelled.split(labelled.shipped())
    gold = [e.label for e in training]
    by_rules = metrics.evaluate(
        gold, [rules.classify(e.title, e.abstract, e.categories).slug for e in training]
    )
    runs = [
        metrics.evaluate(gold, out_of_fold(training, args.folds, seed))
        for seed in range(args.repeats)
    ]
    mean = lambda values: sum(values) / len(values)  # noqa: E731
    macro, accuracy = mean([r.macro_f1 for r in runs]), mean([r.accuracy for r in runs])
    weakest = mean([min(row.f1 for row in r.rows) for r in runs])
    print(f"training split: {len(training)} papers; {args.repeats} x {args.folds}-fold CV")
    print(f"{'category':<24} {'model F1':>8} {'rules F1':>8}")
    for i, row in enumerate(by_rules.rows):
        print(f"{row.slug:<24} {mean([r.rows[i].f1 for r in runs]):8.3f} {row.f1:8.3f}")
    print(
        f"papers={len(training)} folds={args.folds} repeats={args.repeats} "
        f"features={local.FEATURES} cv_macro_f1={macro:.4f} cv_accuracy={accuracy:.4f} "
        f"cv_min_f1={weakest:.3f} rules_macro_f1={by_rules.macro_f1:.4f} "
        f"ratio_to_rules={macro / by_rules.macro_f1:.3f}"
    )


if __name__ == "__main__":
    main()
