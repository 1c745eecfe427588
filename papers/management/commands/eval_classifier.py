"""Score a classifier against labelled papers: macro-F1, per category, the common confusions."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.classifiers import labelled, local, metrics, rules


class Command(BaseCommand):
    help = (
        "Evaluate the local classifier (or the rules) on the shipped labels' held-out split, "
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
            "--classifier",
            choices=["model", "rules"],
            default="model",
            help="The newest model artefact (default) or the rule classifier.",
        )

    def handle(self, *args, labels=None, classifier="model", **options):
        model = self._model() if classifier == "model" else None
        known = set(rules.SLUGS) | set(model.classes if model else ())
        try:
            if labels is not None:
                examples, what = labelled.read(labels, slugs=known), f"all papers of {labels}"
            else:
                examples, what = labelled.split(labelled.shipped())[1], "the held-out split"
        except labelled.LabelsError as exc:
            raise CommandError(str(exc)) from exc
        name = f"model v{model.version}" if model else "the rule classifier"
        self.stdout.write(f"Evaluating {name} on {what}: {len(examples)} papers")
        texts = [(e.title, e.abstract, e.categories) for e in examples]
        if model:
            predicted = [decision.slug for decision in model.predict(texts)]
        else:
            predicted = [rules.classify(*text).slug for text in texts]
        evaluation = metrics.evaluate([e.label for e in examples], predicted)
        self.stdout.write("\n".join(evaluation.lines()))

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
