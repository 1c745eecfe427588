"""The editors' tools for the taxonomy and for correcting papers' categories."""

from django.contrib import admin
from django.db import models

from papers.models import Category, Paper


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "name_ko", "color", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name", "name_ko", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = [
        "arxiv_id",
        "title",
        "category",
        "category_method",
        "category_confidence",
        "announced_on",
        "upvotes",
        "primary_category",
    ]
    list_display_links = ["arxiv_id", "title"]
    list_filter = ["category", "category_method", "announced_on", "source"]
    list_select_related = ["category"]
    search_fields = ["arxiv_id", "title"]
    date_hierarchy = "announced_on"
    autocomplete_fields = ["category"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "category_method",
        "category_confidence",
        "categorised_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "arxiv_id", "version", "abs_url", "pdf_url", "announced_on"]}),
        (
            "Category",
            {
                "description": "Changing the category here makes it an editor's decision, which "
                "no automated re-run will overwrite.",
                "fields": ["category", "category_method", "category_confidence", "categorised_at"],
            },
        ),
        (
            "Metadata",
            {
                "fields": [
                    "abstract",
                    "authors",
                    "primary_category",
                    "arxiv_categories",
                    "published",
                    "updated",
                    "comment",
                    "journal_ref",
                    "doi",
                    "upvotes",
                    "source",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def save_model(self, request, obj, form, change):
        if "category" in form.changed_data and obj.category is not None:
            obj.assign_by_editor(obj.category)
        super().save_model(request, obj, form, change)
