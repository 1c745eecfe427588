"""Digests and their pipeline runs, for editors and operators."""

from django.contrib import admin
from django.db.models import Count

from digest.models import DailyDigest, PipelineRun
from papers.sources import KINDS


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

    @admin.display(description="papers", ordering="paper_total")
    def paper_count(self, digest):
        return digest.paper_total

    @admin.display(description="stored / listed (new, cross, replaced)")
    def completeness(self, digest):
        if digest.announced is None or not digest.has_announcement:
            return ""
        kinds = ", ".join(
            f"{getattr(digest, f'stored_{kind}')}/{getattr(digest, f'announced_{kind}')}"
            for kind in KINDS
        )
        return f"{digest.stored}/{digest.announced} ({kinds})"

    @admin.display(description="complete", boolean=True)
    def is_complete(self, digest):
        return digest.is_complete


@admin.register(PipelineRun)
class PipelineRunAdmin(admin.ModelAdmin):
    list_display = ["date", "stage", "status", "started_at", "duration", "short_error"]
    list_filter = ["status", "stage", "date"]
    date_hierarchy = "date"
    readonly_fields = [f.name for f in PipelineRun._meta.fields]

    def has_add_permission(self, request):
        return False

    @admin.display(description="error")
    def short_error(self, run):
        return run.error[:120]
