"""Category summaries, readable and correctable by editors."""

from django.contrib import admin

from summaries.models import CategorySummary


@admin.register(CategorySummary)
class CategorySummaryAdmin(admin.ModelAdmin):
    list_display = [
        "digest",
        "category",
        "language",
        "paper_count",
        "generator",
        "input_tokens",
        "output_tokens",
        "updated_at",
    ]
    list_filter = ["language", "generator", "category", "digest__date"]
    list_select_related = ["digest", "category"]
    search_fields = ["body", "category__name", "category__name_ko"]
    raw_id_fields = ["digest", "papers"]
    readonly_fields = [
        "sections",
        "input_key",
        "input_tokens",
        "output_tokens",
        "created_at",
        "updated_at",
    ]
