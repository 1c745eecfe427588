"""Classify one day's papers again: the local model, or the rules without a model artefact."""

import time
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from digest import pipeline
from papers.classifiers import local
from papers.models import Paper


class Command(BaseCommand):
    help = (
        "Run the classify stage for one announcement date (YYYY-MM-DD). Editors' and imported "
        "decisions are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("date", help="Announcement date, YYYY-MM-DD.")

    def handle(self, *args, date, **options):
        try:
            day = pipeline.parse_day(date)
            papers = Paper.objects.filter(digests__date=day)
            model = local.current()
            classifier = f"the local model v{model.version}" if model else "the rule classifier"
            self.stdout.write(
                f"Classifying the {papers.count()} papers of {day.isoformat()} with {classifier}"
            )
            started = time.monotonic()
            counts = pipeline.run_stage(day, pipeline.Stage.CLASSIFY)
        except pipeline.PipelineError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"  {counts['classified']} classified, {counts['changed']} changed, "
            f"{counts['locked']} kept (editor or imported), {counts['review']} below the review "
            f"threshold, in {time.monotonic() - started:.2f} s"
        )
        spread = Counter(papers.values_list("category__slug", flat=True))
        for slug, n in spread.most_common():
            self.stdout.write(f"  {slug or '(none)':<24} {n:5d}")
        self.stdout.write(self.style.SUCCESS(f"Classified {day.isoformat()}"))
