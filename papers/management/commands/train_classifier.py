"""Retrain the local classifier on the shipped labels plus editors' decisions, as a new version."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.classifiers import labelled, local, metrics


class Command(BaseCommand):
    help = (
        "Train a new version of the local classifier on the shipped labelled papers and the "
        "editors' decisions (earlier listing months), and report its score on the held-out "
        "later months."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output",
            type=Path,
            help="Folder of model artefacts (default: DIGEST_CLASSIFIER_DIR).",
        )

    def handle(self, *args, output=None, **options):
        folder = output or local.directory()
        if folder.exists() and not folder.is_dir():
            raise CommandError(f"{folder} is not a folder.")
        try:
            shipped = labelled.shipped()
        except labelled.LabelsError as exc:
            raise CommandError(str(exc)) from exc
        decisions = labelled.editor_decisions()
        known = {example.arxiv_id for example in shipped}
        overriding = sum(decision.arxiv_id in known for decision in decisions)
        examples = labelled.merge(shipped, decisions)
        training, held_out = labelled.split(examples)
        if len({example.label for example in training}) < 2:
            raise CommandError("The training split needs papers of at least two categories.")
        version = max(local.artefacts(folder), default=0) + 1
        self.stdout.write(
            f"{len(shipped)} shipped labels and {len(decisions)} editor decisions "
            f"({overriding} of them override a shipped label): {len(examples)} papers, "
            f"{len(training)} for training, {len(held_out)} held out "
            f"(listed {labelled.HELD_OUT_FROM} on)"
        )
        self.stdout.write(f"Training model v{version} ...")
        started = time.monotonic()
        model = local.train(
            training,
            version,
            training={"papers": len(training), "shipped": len(shipped), "editor": len(decisions)},
        )
        self.stdout.write(f"  trained in {time.monotonic() - started:.1f} s")
        evaluation = self._score(model, held_out)
        model.held_out = {
            "papers": evaluation.size,
            "macro_f1": round(evaluation.macro_f1, 4),
            "accuracy": round(evaluation.accuracy, 4),
        }
        path = local.save(model, folder)
        self.stdout.write("\n".join(evaluation.lines()))
        self.stdout.write(self.style.SUCCESS(f"Saved model v{version} to {path}"))

    def _score(self, model: local.Model, held_out: list) -> metrics.Evaluation:
        self.stdout.write(f"Scoring on the {len(held_out)} papers of the held-out months ...")
        if not held_out:
            raise CommandError("No held-out papers to score the model on.")
        texts = [(e.title, e.abstract, e.categories) for e in held_out]
        predicted = [decision.slug for decision in model.predict(texts)]
        return metrics.evaluate([example.label for example in held_out], predicted)
