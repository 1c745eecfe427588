"""The editors' tools for the taxonomy and for correcting papers' categories.

Every way an editor sets a category (the change form, the changelist's inline column, the
"Move to category" action) makes it an editor's decision (papers.assignment.assign_by_editor):
locked against automated re-runs, with the day's summaries of the categories involved marked
stale and, once the change is committed, rebuilt with the chart by a worker.

One module for the papers' admin: the list, the review queue and the three editing routes
must agree on what an editor may do, so they are read together. The taxonomy's admin and the
list's filters are beside it (admin_taxonomy.py, admin_filters.py).
"""

import functools

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from papers import assignment
from papers.admin_filters import ConfidenceBand, ReviewQueue
from papers.admin_taxonomy import CategoryAdmin  # noqa: F401 (registers the taxonomy's admin)
from papers.models import Category, Paper
from papers.signals import corrections_saved

ABSTRACT_CHARS = 280  # the review queue shows this much of each abstract


class PaperForm(forms.ModelForm):
    """Both the change form and the inline list: a paper may keep a retired category, but not
    be moved into one (the bulk move offers active categories only)."""

    def clean_category(self):
        category = self.cleaned_data.get("category")
        if category is not None and not category.is_active and "category" in self.changed_data:
            raise forms.ValidationError(
                gettext('"%(category)s" is inactive: papers cannot be moved into it.')
                % {"category": category}
            )
        return category


class MoveForm(forms.Form):
    # Nothing preselected: an editor who submits without choosing is asked to choose.
    category = forms.ModelChoiceField(Category.objects.active(), label=_("category"))


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    form = PaperForm
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
    actions = ["move_to_category", "confirm_category"]
    # The runner-up is joined for the review queue's column: no query per row.
    list_select_related = ["category", "category_runner_up"]
    search_fields = ["arxiv_id", "title"]
    date_hierarchy = "announced_on"
    autocomplete_fields = ["category"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    readonly_fields = [
        "category_method",
        "category_confidence",
        "category_runner_up",
        "category_runner_up_confidence",
        "categorised_at",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "arxiv_id", "version", "abs_url", "pdf_url", "announced_on"]}),
        (
            _("Category"),
            {
                "description": _(
                    "Changing the category here makes it an editor's decision, which no "
                    "automated re-run will overwrite."
                ),
                "fields": [
                    "category",
                    "category_method",
                    "category_confidence",
                    "category_runner_up",
                    "category_runner_up_confidence",
                    "categorised_at",
                ],
            },
        ),
        (
            _("Metadata"),
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

    class Media:
        css = {"all": ["papers/review.css"]}

    # The review queue: what an editor needs to decide without opening the paper.
    REVIEW_DISPLAY = [
        "arxiv_id",
        "title_and_abstract",
        "confidence",
        "category",
        "runner_up",
        "decide",
        "announced_on",
    ]

    def get_ordering(self, request):
        if self._reviewing(request):
            return ["category_confidence", "pk"]  # the least confident first
        return super().get_ordering(request)

    def get_list_display(self, request):
        if self._reviewing(request):
            return self.REVIEW_DISPLAY
        return super().get_list_display(request)

    def get_list_display_links(self, request, list_display):
        if self._reviewing(request):
            return ["arxiv_id"]
        return super().get_list_display_links(request, list_display)

    @staticmethod
    def _reviewing(request) -> bool:
        return request.GET.get(ReviewQueue.parameter_name) == "yes"

    @admin.display(description=_("confidence"), ordering="category_confidence")
    def confidence(self, paper):
        return "" if paper.category_confidence is None else f"{paper.category_confidence:.2f}"

    @admin.display(description=_("runner-up"), ordering="category_runner_up_confidence")
    def runner_up(self, paper):
        if paper.category_runner_up is None:
            return ""
        chance = paper.category_runner_up_confidence
        return f"{paper.category_runner_up}" + ("" if chance is None else f" ({chance:.2f})")

    @admin.display(description=_("title and abstract"))
    def title_and_abstract(self, paper):
        return format_html(
            '<strong>{}</strong><br><span class="abstract">{}</span>',
            paper.title,
            Truncator(" ".join(paper.abstract.split())).chars(ABSTRACT_CHARS),
        )

    @admin.display(description=_("decide"))
    def decide(self, paper):
        """One click: confirm the machine's category, or take the runner-up. Each button posts
        the list's form (with its CSRF token) to changelist_view, which applies it."""
        choices = [
            (paper.category, "✔ " + gettext("Confirm")),
            (paper.category_runner_up, "→ " + gettext("Runner-up")),
        ]
        return format_html_join(
            " ",
            '<button type="submit" class="button" name="decide" value="{}:{}" title="{}">'
            "{}</button>",
            (
                (paper.pk, category.pk, category, label)
                for category, label in choices
                if category is not None and category.is_active
            ),
        )

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "decide" in request.POST:
            return self._decide(request)
        return super().changelist_view(request, extra_context)

    def _decide(self, request):
        """A review-queue button: make that category the editor's decision, back to the list."""
        back = HttpResponseRedirect(request.get_full_path())
        if not self.has_change_permission(request):
            self.message_user(request, gettext("You may not change papers."), messages.ERROR)
            return back
        paper_id, _sep, category_id = request.POST["decide"].partition(":")
        paper = category = None
        if paper_id.isdigit() and category_id.isdigit():
            paper = Paper.objects.filter(pk=paper_id).first()
            category = Category.objects.active().filter(pk=category_id).first()
        if paper is None or category is None:
            self.message_user(
                request, gettext("That paper or category no longer exists."), messages.ERROR
            )
            return back
        moved = assignment.assign_by_editor(Paper.objects.filter(pk=paper.pk), category)
        message = (
            gettext("%(paper)s moved to %(category)s as an editor's decision.")
            if moved
            else gettext("%(paper)s confirmed in %(category)s as an editor's decision.")
        )
        self.message_user(
            request, message % {"paper": paper.ref, "category": category}, messages.SUCCESS
        )
        self._rebuild_stale_days(request, [p.pk for p in moved])
        return back

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, **{"form": PaperForm, **kwargs})

    def get_changelist_formset(self, request, **kwargs):
        """The inline category column as a plain select whose choices are read once, not once
        per row (the autocomplete widget would query for every row). Inactive categories are
        listed apart, so that a paper still in one shows it; PaperForm refuses moves into them."""
        formset = super().get_changelist_formset(request, **kwargs)
        field = formset.form.base_fields["category"]
        field.widget = forms.Select()
        categories = list(Category.objects.all())
        inactive = [(c.pk, str(c)) for c in categories if not c.is_active]
        field.choices = [
            ("", "---------"),
            *((c.pk, str(c)) for c in categories if c.is_active),
            *([(gettext("Inactive (cannot be chosen)"), inactive)] if inactive else []),
        ]
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

    @admin.action(description=_("Move to category…"), permissions=["change"])
    def move_to_category(self, request, queryset):
        form = MoveForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": gettext("Move papers to a category"),
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
            ngettext(
                "%(count)d paper is now in %(category)s as an editor's decision "
                "(%(moved)d moved, the rest confirmed).",
                "%(count)d papers are now in %(category)s as editor decisions "
                "(%(moved)d moved, the rest confirmed).",
                len(selected),
            )
            % {"count": len(selected), "category": category, "moved": len(moved)},
            messages.SUCCESS,
        )
        self._rebuild_stale_days(request, [paper.pk for paper in moved])
        return None

    @admin.action(description=_("Confirm the machine's category"), permissions=["change"])
    def confirm_category(self, request, queryset):
        """The selected papers keep their category, as editors' decisions (locked). Papers in
        an inactive category or without one are left for a move."""
        rows = queryset.filter(category__is_active=True).values_list("pk", "category")
        by_category: dict[int, list[int]] = {}
        for pk, category_id in rows:
            by_category.setdefault(category_id, []).append(pk)
        for category in Category.objects.filter(pk__in=by_category):
            papers = Paper.objects.filter(pk__in=by_category[category.pk])
            assignment.assign_by_editor(papers, category)
        confirmed = sum(map(len, by_category.values()))
        self.message_user(
            request,
            ngettext(
                "%(count)d paper confirmed as an editor's decision.",
                "%(count)d papers confirmed as editors' decisions.",
                confirmed,
            )
            % {"count": confirmed},
            messages.SUCCESS,
        )

    def _rebuild_stale_days(self, request, paper_ids) -> None:
        """Tell the apps above that the correction is saved; once it is committed they queue the
        rebuild of the days it made stale, and say through `notify` whether they could."""
        notify = functools.partial(self.message_user, request)
        corrections_saved.send(sender=Paper, paper_ids=paper_ids, notify=notify)
