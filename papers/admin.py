"""The editors' tools for the taxonomy and for correcting papers' categories.

Every way an editor sets a category (the change form, the changelist's inline column, the
"Move to category" action) makes it an editor's decision (papers.assignment.assign_by_editor):
locked against automated re-runs, with the day's summaries of the categories involved marked
stale and, once the change is committed, rebuilt with the chart by a worker.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.template.response import TemplateResponse

from papers import assignment
from papers.models import Category, Paper
from papers.signals import corrections_saved

HIGH_CONFIDENCE = 0.8


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "slug", "name_ko", "color", "order", "is_active"]
    list_editable = ["order", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name", "name_ko", "description"]
    prepopulated_fields = {"slug": ["name"]}


class ReviewQueue(admin.SimpleListFilter):
    title = "review queue"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("yes", f"Machine decisions below {settings.DIGEST_REVIEW_BELOW:.2f}")]

    def queryset(self, request, queryset):
        return assignment.review_queue(queryset) if self.value() == "yes" else queryset


class ConfidenceBand(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        low = settings.DIGEST_REVIEW_BELOW
        return [
            ("low", f"low (below {low:.2f})"),
            ("medium", f"medium ({low:.2f} to {HIGH_CONFIDENCE:.2f})"),
            ("high", f"high ({HIGH_CONFIDENCE:.2f} and above)"),
            ("none", "none"),
        ]

    def queryset(self, request, queryset):
        low = settings.DIGEST_REVIEW_BELOW
        bands = {
            "low": {"category_confidence__lt": low},
            "medium": {"category_confidence__gte": low, "category_confidence__lt": HIGH_CONFIDENCE},
            "high": {"category_confidence__gte": HIGH_CONFIDENCE},
            "none": {"category_confidence__isnull": True},
        }
        return queryset.filter(**bands[self.value()]) if self.value() in bands else queryset


class MoveForm(forms.Form):
    category = forms.ModelChoiceField(Category.objects.active(), empty_label=None)


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = [
        "arxiv_id",
        "title",
        "category",
        "category_method",
        "confidence",
        "announced_on",
        "upvotes",
        "primary_category",
    ]
    list_display_links = ["arxiv_id", "title"]
    list_editable = ["category"]
    list_filter = [
        ReviewQueue,
        "announced_on",
        "category",
        "category_method",
        ConfidenceBand,
        "source",
    ]
    actions = ["move_to_category"]
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

    def get_ordering(self, request):
        if request.GET.get(ReviewQueue.parameter_name) == "yes":
            return ["category_confidence", "pk"]  # the least confident first
        return super().get_ordering(request)

    @admin.display(description="confidence", ordering="category_confidence")
    def confidence(self, paper):
        return "" if paper.category_confidence is None else f"{paper.category_confidence:.2f}"

    def get_changelist_formset(self, request, **kwargs):
        """The inline category column as a plain select whose choices are read once, not once
        per row (the autocomplete widget would query for every row)."""
        formset = super().get_changelist_formset(request, **kwargs)
        field = formset.form.base_fields["category"]
        field.widget = forms.Select()
        field.choices = [("", "---------"), *((c.pk, str(c)) for c in Category.objects.all())]
        return formset

    def save_model(self, request, obj, form, change):
        if "category" in form.changed_data and obj.category is not None:
            obj.assign_by_editor(obj.category)
            # Locks the row, records the move and marks the stale summaries; the save below
            # then writes the form's other fields.
            assignment.assign_by_editor(Paper.objects.filter(pk=obj.pk), obj.category)
            super().save_model(request, obj, form, change)
            self._rebuild_stale_days(request, [obj.pk])
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Move to category…", permissions=["change"])
    def move_to_category(self, request, queryset):
        form = MoveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Move papers to a category",
                "opts": self.model._meta,
                "form": form,
                "papers": queryset.select_related("category"),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            }
            return TemplateResponse(request, "admin/papers/paper/move_to_category.html", context)
        category = form.cleaned_data["category"]
        selected = list(queryset.values_list("pk", flat=True))
        moved = assignment.assign_by_editor(Paper.objects.filter(pk__in=selected), category)
        self.message_user(
            request,
            f"{len(selected)} papers are now in {category} as editor decisions "
            f"({len(moved)} moved, the rest confirmed).",
            messages.SUCCESS,
        )
        self._rebuild_stale_days(request, [paper.pk for paper in moved])
        return None

    def _rebuild_stale_days(self, request, paper_ids) -> None:
        """Tell the apps above that the correction is saved; they queue the rebuild of the days
        it made stale and say so."""
        for _, note in corrections_saved.send(sender=Paper, paper_ids=paper_ids):
            if note:
                self.message_user(request, note)
