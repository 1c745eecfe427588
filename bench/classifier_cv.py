"""Choose the local classifier by cross-validation INSIDE the training months, then (with
--held-out) score each candidate once on the held-out later months (docs/classifier.md).

Cross-validation: the training months are dealt round --folds folds in date order
(`local.month_folds`), so every fold is scored by a model that never saw its months, as the
daily run meets a new day. The held-out months (labelled.HELD_OUT_FROM on) are not read
without --held-out. Scores are given on all papers and on the random sample alone (what a
real day looks like; the enriched samples over-represent the rare categories).

Run: DEBUG=1 uv run python bench/classifier_cv.py [--labels DIR] [--candidates a,b] [--held-out]
Takes minutes a candidate on 2 CPUs (one fit a fold, and a full fit with --held-out).
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

import numpy as np  # noqa: E402

from papers.classifiers import labelled, local, metrics, rules  # noqa: E402

# Every key explicit: a candidate never inherits the shipped design (local.DEFAULT_SPEC).
BASE = {"embedding": 0.0, "rules": 0.0}
TFIDF = {**BASE, "words": True, "chars": True, "codes": True}
NO_TFIDF = {**BASE, "words": False, "chars": False, "codes": False}
CANDIDATES = {
    "tfidf-logreg": {**TFIDF, "learner": "logreg", "C": 10.0},
    "tfidf-svm": {**TFIDF, "learner": "svm", "C": 0.3},
    "tfidf-logreg+rules": {**TFIDF, "learner": "logreg", "C": 10.0, "rules": 0.5},
    "tfidf-svm+rules": {**TFIDF, "learner": "svm", "C": 0.3, "rules": 0.5},
    "embedding-logreg": {**NO_TFIDF, "embedding": 1.0, "learner": "logreg", "C": 10.0},
    "embedding+codes-logreg": {
        **NO_TFIDF,
        "codes": True,
        "embedding": 1.0,
        "learner": "logreg",
        "C": 10.0,
    },
    "tfidf+embedding-logreg": {**TFIDF, "embedding": 1.0, "learner": "logreg", "C": 10.0},
    "tfidf+embedding-svm": {**TFIDF, "embedding": 1.0, "learner": "svm", "C": 0.3},
    "tfidf+embedding+rules-svm": {
        **TFIDF,
        "embedding": 1.0,
        "rules": 0.5,
        "learner": "svm",
        "C": 0.3,
    },
    "tfidf+embedding2+rules-svm": {
        **TFIDF,
        "embedding": 2.0,
        "rules": 0.5,
        "learner": "svm",
        "C": 0.3,
    },
    "tfidf+embedding+rules-logreg": {
        **TFIDF,
        "embedding": 1.0,
        "rules": 0.5,
        "learner": "logreg",
        "C": 10.0,
    },
}


def texts(examples):
    return [(e.title, e.abstract, e.categories) for e in examples]


def summary(gold, predicted, confidence=None) -> dict:
    scores = metrics.evaluate(gold, predicted)
    weakest = min(scores.rows, key=lambda row: row.f1)
    out = {
        "papers": scores.size,
        "macro_f1": round(scores.macro_f1, 4),
        "accuracy": round(scores.accuracy, 4),
        "min_f1": round(weakest.f1, 3),
        "weakest": weakest.slug,
    }
    if confidence is not None:
        right = [g == p for g, p in zip(gold, predicted, strict=True)]
        out["ece"] = round(metrics.calibration_error(confidence, right), 4)
    return out


def cross_validate(training, spec, folds: int) -> dict:
    """Out-of-fold decisions over month-grouped folds, the temperature fitted on them too."""
    started = time.perf_counter()
    assigned = local.month_folds(training, folds)
    classes = sorted({e.label for e in training})
    scores = local.out_of_fold_scores(training, classes, spec, assigned)
    truth = np.array([classes.index(e.label) for e in training])
    temperature = local.fit_temperature(scores, truth)
    chances = local._softmax(scores, temperature)
    predicted = [classes[i] for i in chances.argmax(axis=1)]
    confidence = chances.max(axis=1)
    gold = [e.label for e in training]
    random = [i for i, e in enumerate(training) if e.sample == "random"]
    return {
        "all": summary(gold, predicted, confidence),
        "random": summary(
            [gold[i] for i in random], [predicted[i] for i in random], confidence[random]
        ),
        "temperature": round(temperature, 3),
        "seconds": round(time.perf_counter() - started, 1),
    }


def held_out_report(name, model, held_out) -> dict:
    """The candidate scored once on the held-out months: all labels and the random sample."""
    decisions = model.predict(texts(held_out))
    predicted = [d.slug for d in decisions]
    confidence = np.array([d.confidence for d in decisions])
    gold = [e.label for e in held_out]
    report = {}
    for part, chosen in (
        ("all", list(range(len(held_out)))),
        ("random", [i for i, e in enumerate(held_out) if e.sample == "random"]),
    ):
        g, p, c = [gold[i] for i in chosen], [predicted[i] for i in chosen], confidence[chosen]
        evaluation = metrics.evaluate(g, p)
        intervals = metrics.bootstrap(g, p)
        right = np.array([a == b for a, b in zip(g, p, strict=True)])
        report[part] = {
            **summary(g, p, c),
            "intervals": {k: [round(v.low, 4), round(v.high, 4)] for k, v in intervals.items()},
            "rows": [
                [r.slug, r.support, round(r.precision, 3), round(r.recall, 3), round(r.f1, 3)]
                for r in evaluation.rows
            ],
            "confusions": evaluation.confusions[:8],
            "review": {
                str(t): {
                    "share_below": round(float((c < t).mean()), 3),
                    "accuracy_below": round(float(right[c < t].mean()), 3)
                    if (c < t).any()
                    else None,
                    "accuracy_above": round(float(right[c >= t].mean()), 3)
                    if (c >= t).any()
                    else None,
                }
                for t in (0.4, 0.5, 0.6, 0.7, 0.8)
            },
            "mean_confidence": round(float(c.mean()), 3),
        }
        print(f"\n== {name}, held out ({part}): {len(g)} papers")
        for row in evaluation.rows:
            f1 = intervals[f"{row.slug}:f1"]
            print(
                f"  {row.slug:<24} {row.support:4d}  P {row.precision:.3f}  R {row.recall:.3f}"
                f"  F1 {f1}"
            )
        print(f"  accuracy {intervals['accuracy']}  macro-F1 {intervals['macro_f1']}")
        print(f"  ECE {report[part]['ece']:.4f}, mean confidence {c.mean():.3f}")
        print(
            "  confusions: " + ", ".join(f"{a}->{b} {n}" for a, b, n in evaluation.confusions[:6])
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=Path, help="folder of labels files (default: shipped)")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--candidates", default=",".join(CANDIDATES))
    parser.add_argument("--held-out", action="store_true", help="score each candidate once")
    parser.add_argument("--no-cv", action="store_true")
    parser.add_argument(
        "--set", action="append", default=[], help="KEY=NUMBER for every candidate, e.g. C=1"
    )
    parser.add_argument("--json", type=Path, help="write every figure here")
    parser.add_argument(
        "--cv-json",
        type=Path,
        action="append",
        default=[],
        help="earlier --json output: its CV temperatures are reused with --held-out --no-cv",
    )
    args = parser.parse_args()
    examples = labelled.shipped(args.labels)
    training, held_out = labelled.split(examples)
    months = sorted({e.month for e in training})
    print(
        f"training: {len(training)} papers, months {months[0]}..{months[-1]}; "
        f"held out: {len(held_out)} papers from {labelled.HELD_OUT_FROM} on"
        + ("" if args.held_out else " (not read)")
    )
    gold = [e.label for e in training]
    results = {
        "rules": {"cv": {"all": summary(gold, [rules.classify(*t).slug for t in texts(training)])}}
    }
    print(f"rules (no training) on the training months: {results['rules']['cv']['all']}")
    for name in args.candidates.split(","):
        spec = {**CANDIDATES[name]}
        for setting in args.set:
            key, value = setting.split("=", 1)
            spec[key] = float(value)
        if args.set:
            name = f"{name}[{','.join(args.set)}]"
        results[name] = {"spec": spec}
        if not args.no_cv:
            results[name]["cv"] = cross_validate(training, spec, args.folds)
            cv = results[name]["cv"]
            print(
                f"{name}: CV all {cv['all']} random {cv['random']} T={cv['temperature']} "
                f"({cv['seconds']} s)",
                flush=True,
            )
        if args.held_out:
            earlier = results[name].get("cv") or next(
                (
                    json.loads(path.read_text()).get(name, {}).get("cv")
                    for path in args.cv_json
                    if json.loads(path.read_text()).get(name, {}).get("cv")
                ),
                None,
            )
            if earlier:  # the temperature the month-grouped CV fitted: no need to fit it again
                model = local.untrained(0, spec).fit(training)
                model.temperature = earlier["temperature"]
            else:
                model = local.train(training, 0, spec=spec)
            results[name]["held_out"] = held_out_report(name, model, held_out)
            if held_out and "rules" not in results["rules"].get("held_out", {}):
                hg = [e.label for e in held_out]
                results["rules"]["held_out"] = summary(
                    hg, [rules.classify(*t).slug for t in texts(held_out)]
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    best = max(
        (n for n in results if "cv" in results[n] and "random" in results[n]["cv"]),
        key=lambda n: results[n]["cv"]["all"]["macro_f1"],
        default=None,
    )
    if best:
        cv = results[best]["cv"]
        print(
            f"training_papers={len(training)} folds={args.folds} best={best} "
            f"cv_macro_f1={cv['all']['macro_f1']:.4f} cv_accuracy={cv['all']['accuracy']:.4f} "
            f"cv_random_macro_f1={cv['random']['macro_f1']:.4f} cv_ece={cv['all']['ece']:.4f} "
            f"rules_macro_f1={results['rules']['cv']['all']['macro_f1']:.4f}"
        )


if __name__ == "__main__":
    main()
