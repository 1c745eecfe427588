"""Digests and their pipeline runs, for editors and operators."""

from django.contrib import admin
from django.db.models import Count

from digest.models import DailyDigest, PipelineRun


@admin.register(DailyDigest)
class DailyDigestAdmin(admin.ModelAdmin):
    list_display = ["date", "status", "paper_count", "published_at", "updated_at"]
    list_filter = ["status"]
    date_hierarchy = "date"
    raw_id_fields = ["papers"]
    readonly_fields = ["chart", "created_at", "updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(paper_total=Count("papers"))

    @admin.display(description="papers", ordering="paper_total")
    def paper_count(self, digest):
        return digest.paper_total


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
