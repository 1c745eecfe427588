"""Classify one day's papers again: the local model (or the rules without a model artefact),
then Claude for every paper (or the unsure ones) when ANTHROPIC_API_KEY is set."""

from collections import Counter

from django.conf import settings

from digest import pipeline, runs
from digest.management.day_command import DayCommand
from papers.classifiers import claude, local
from papers.models import Paper


class Command(DayCommand):
    help = (
        "Run the classify stage for one announcement date (YYYY-MM-DD). Editors' and imported "
        "decisions are kept."
    )

    def handle_day(self, day, **options):
        papers = Paper.objects.filter(digests__date=day)
        model = local.current()
        classifier = f"the local model v{model.version}" if model else "the rule classifier"
        if settings.ANTHROPIC_API_KEY:
            which = "every paper" if claude.asks_all() else "the unsure papers"
            classifier += f", then {settings.ANTHROPIC_CLASSIFY_MODEL} for {which}"
        self.stdout.write(
            f"Classifying the {papers.count()} papers of {day.isoformat()} with {classifier}"
        )
        counts = pipeline.run_stage(day, runs.Stage.CLASSIFY)
        self.stdout.write(
            f"  {counts['classified']} classified, {counts['changed']} changed, "
            f"{counts['locked']} kept (editor or imported), {counts['review']} below the review "
            f"threshold, in {self.elapsed():.2f} s"
        )
        spread = Counter(papers.values_list("category__slug", flat=True))
        for slug, n in spread.most_common():
            self.stdout.write(f"  {slug or '(none)':<24} {n:5d}")
        self.stdout.write(self.style.SUCCESS(f"Classified {day.isoformat()}"))
