"""Score a classifier against labelled papers: macro-F1, per category, the common confusions."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.classifiers import labelled, local, metrics, rules


class Command(BaseCommand):
    help = (
        "Evaluate the local classifier (or the rules) on the shipped labels' held-out months, "
        "or on every paper of a JSON Lines file; never touches the database. The last line is "
        "'macro-F1 <value>'."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--labels",
            type=Path,
            help="A JSON Lines file of labelled papers (arxiv_id, title, abstract, categories, "
            "label), evaluated whole.",
        )
        parser.add_argument(
            "--random",
            action="store_true",
            help="Only the papers sampled at random (sample = random): what a real day is like.",
        )
        parser.add_argument(
            "--intervals",
            action="store_true",
            help="Also bootstrap 95%% intervals and the expected calibration error.",
        )
        parser.add_argument(
            "--classifier",
            choices=["model", "rules"],
            default="model",
            help="The newest model artefact (default) or the rule classifier.",
        )

    def handle(
        self, *args, labels=None, classifier="model", random=False, intervals=False, **options
    ):
        model = self._model() if classifier == "model" else None
        known = set(rules.SLUGS) | set(model.classes if model else ())
        try:
            if labels is not None:
                examples, what = labelled.read(labels, slugs=known), f"all papers of {labels}"
            else:
                examples = labelled.split(labelled.shipped())[1]
                what = f"the held-out months ({labelled.HELD_OUT_FROM} on)"
        except labelled.LabelsError as exc:
            raise CommandError(str(exc)) from exc
        if random:
            examples, what = labelled.random_sample(examples), f"{what}, random sample"
        if not examples:
            raise CommandError("No papers to evaluate.")
        name = f"model v{model.version}" if model else "the rule classifier"
        self.stdout.write(f"Evaluating {name} on {what}: {len(examples)} papers")
        texts = [(e.title, e.abstract, e.categories) for e in examples]
        decisions = model.predict(texts) if model else [rules.classify(*t) for t in texts]
        predicted = [decision.slug for decision in decisions]
        gold = [e.label for e in examples]
        evaluation = metrics.evaluate(gold, predicted)
        lines = evaluation.lines()
        if intervals:
            bounds = metrics.bootstrap(gold, predicted)
            right = [g == p for g, p in zip(gold, predicted, strict=True)]
            error = metrics.calibration_error([d.confidence for d in decisions], right)
            extra = ["bootstrap 95 % intervals (1,000 resamples of the papers):"]
            extra += [f"  F1 {row.slug:<24} {bounds[row.slug + ':f1']}" for row in evaluation.rows]
            extra += [
                f"  accuracy {bounds['accuracy']}",
                f"  macro-F1 {bounds['macro_f1']}",
                f"expected calibration error {error:.4f} (10 bins)",
            ]
            lines = lines[:-2] + extra + lines[-2:]
        self.stdout.write("\n".join(lines))

    def _model(self) -> local.Model:
        try:
            model = local.latest()
        except local.ModelError as exc:
            raise CommandError(str(exc)) from exc
        if model is None:
            raise CommandError(
                f"No model artefact in {local.directory()}: run manage.py train_classifier, "
                "or evaluate the rules with --classifier rules."
            )
        return model
