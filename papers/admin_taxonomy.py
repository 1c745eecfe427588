"""The taxonomy in the admin: editors rename, reorder, retire and describe categories."""

from django.contrib import admin

from papers.models import Category


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    """The taxonomy. Papers, summaries and charts refer to a category by id, so its slug may
    change (the old one keeps redirecting); the fallback category keeps its slug, stays active
    and cannot be deleted (Category.clean)."""

    list_display = ["__str__", "slug", "name_ko", "color", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name", "name_ko", "description"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["previous_slugs"]

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_fallback:
            return False
        return super().has_delete_permission(request, obj)

    def get_search_results(self, request, queryset, search_term):
        """The autocomplete of a paper's category offers active categories only, as the inline
        list and "Move to category…" do."""
        queryset, duplicates = super().get_search_results(request, queryset, search_term)
        if request.GET.get("model_name") == "paper" and request.GET.get("field_name") == "category":
            queryset = queryset.filter(is_active=True)
        return queryset, duplicates
