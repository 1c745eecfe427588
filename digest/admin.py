"""Digests and their pipeline runs, for editors and operators."""

from django.contrib import admin, messages
from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from digest import pipeline, tasks
from digest.models import DailyDigest, PipelineRun
from papers.sources import KINDS

# Keys of a run's counts shown in their own columns.
USAGE_COUNTS = {"input_tokens", "output_tokens", "cost_usd"}


@admin.register(DailyDigest)
class DailyDigestAdmin(admin.ModelAdmin):
    list_display = [
        "date",
        "status",
        "paper_count",
        "completeness",
        "is_complete",
        "approximate",
        "published_at",
        "updated_at",
    ]
    list_filter = ["status", "approximate"]
    date_hierarchy = "date"
    raw_id_fields = ["papers"]
    # Written by the ingest stage: what arXiv's listing announced and what is stored of it.
    COMPLETENESS = [f"{count}_{kind}" for count in ("announced", "stored") for kind in KINDS]
    readonly_fields = ["chart", *COMPLETENESS, "approximate", "listing", "created_at", "updated_at"]

    def get_queryset(self, request):
        # The listing (a row per listed paper) is for the ingest stage, not for the list.
        return super().get_queryset(request).annotate(paper_total=Count("papers")).defer("listing")

    @admin.display(description=_("papers"), ordering="paper_total")
    def paper_count(self, digest):
        return digest.paper_total

    @admin.display(description=_("stored / listed (new, cross, replaced)"))
    def completeness(self, digest):
        if digest.announced is None or not digest.has_announcement:
            return ""
        kinds = ", ".join(
            f"{getattr(digest, f'stored_{kind}')}/{getattr(digest, f'announced_{kind}')}"
            for kind in KINDS
        )
        return f"{digest.stored}/{digest.announced} ({kinds})"

    @admin.display(description=_("complete"), boolean=True)
    def is_complete(self, digest):
        return digest.is_complete


@admin.register(PipelineRun)
class PipelineRunAdmin(admin.ModelAdmin):
    """The run history. A run cannot be edited; "change" permission on runs means re-running."""

    list_display = [
        "date",
        "stage",
        "status",
        "started_at",
        "took",
        "short_counts",
        "tokens",
        "cost",
        "short_error",
    ]
    list_filter = ["status", "stage", "date"]
    date_hierarchy = "date"
    readonly_fields = [f.name for f in PipelineRun._meta.fields]
    actions = ["rerun_stages", "rerun_dates"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("duration"))
    def took(self, run):
        return f"{run.duration.total_seconds():.1f} s" if run.duration else ""

    @admin.display(description=_("counts"))
    def short_counts(self, run):
        return ", ".join(f"{k} {v}" for k, v in run.counts.items() if k not in USAGE_COUNTS)

    @admin.display(description=_("tokens in / out"))
    def tokens(self, run):
        if "input_tokens" not in run.counts:
            return ""
        return f"{run.counts['input_tokens']:,} / {run.counts.get('output_tokens', 0):,}"

    @admin.display(description=_("cost (USD)"))
    def cost(self, run):
        return f"{run.counts['cost_usd']:.4f}" if "cost_usd" in run.counts else ""

    @admin.display(description=_("error"))
    def short_error(self, run):
        return run.error[:120]

    @admin.action(
        description=_("Re-run the selected stages and the stages after them"),
        permissions=["change"],
    )
    def rerun_stages(self, request, queryset):
        order = list(pipeline.STAGES)
        first = {}
        for day, stage in queryset.values_list("date", "stage"):
            first[day] = min(first.get(day, stage), stage, key=order.index)
        self._trigger(request, first)

    @admin.action(
        description=_("Re-run the whole date of the selected runs"), permissions=["change"]
    )
    def rerun_dates(self, request, queryset):
        self._trigger(request, dict.fromkeys(queryset.values_list("date", flat=True).distinct()))

    def _trigger(self, request, first: dict):
        """Queue each date from its first stage; stop at the first error, which says why."""
        for day, stage in sorted(first.items()):
            try:
                tasks.trigger(day, first=stage, force=True)
            except tasks.BrokerUnavailable as exc:
                self.message_user(request, str(exc), messages.ERROR)
                return
            message = (
                gettext("Queued %(day)s (from %(stage)s).")
                if stage
                else gettext("Queued %(day)s (all stages).")
            )
            label = stage and PipelineRun.Stage(stage).label
            self.message_user(
                request, message % {"day": day.isoformat(), "stage": label}, messages.SUCCESS
            )
