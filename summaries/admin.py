"""Category summaries, readable and correctable by editors, with what they cost per day."""

import functools

from django import forms
from django.contrib import admin, messages
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from summaries import briefs
from summaries.models import CategorySummary, PaperBrief
from summaries.report import parse_markdown, render_markdown
from summaries.signals import regeneration_requested


class CategorySummaryForm(forms.ModelForm):
    """The editor edits the Markdown; it must keep the five-part structure and cite real papers."""

    class Meta:
        model = CategorySummary
        fields = ["body", "locked"]

    def clean_body(self):
        body = self.cleaned_data["body"]
        if "body" not in self.changed_data:
            return body
        try:
            self.report = parse_markdown(body, self.instance.language)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        known = {paper.ref for paper in self.instance.digest.papers.all()}
        if unknown := sorted(self.report.cited_refs() - known):
            raise forms.ValidationError(
                gettext("Not papers of this day: %(refs)s") % {"refs": ", ".join(unknown)}
            )
        return render_markdown(self.report, self.instance.language)


@admin.register(CategorySummary)
class CategorySummaryAdmin(admin.ModelAdmin):
    form = CategorySummaryForm
    list_display = [
        "digest",
        "category",
        "language",
        "paper_count",
        "generator",
        "input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "cost_usd",
        "batched",
        "locked",
        "needs_regeneration",
        "updated_at",
    ]
    list_filter = [
        "language",
        "generator",
        "locked",
        "needs_regeneration",
        "batched",
        "category",
        "digest__date",
    ]
    list_select_related = ["digest", "category"]
    search_fields = ["body", "category__name", "category__name_ko"]
    readonly_fields = [
        "digest",
        "category",
        "language",
        "paper_count",
        "generator",
        "needs_regeneration",
        "regeneration_reason",
        "edited_at",
        "input_key",
        "input_tokens",
        "output_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cost_usd",
        "batched",
        "created_at",
        "updated_at",
    ]
    actions = ["regenerate", "unlock"]

    def has_add_permission(self, request):
        return False  # summaries are written by the pipeline

    def save_model(self, request, obj, form, change):
        if "body" in form.changed_data:
            # An editor's text wins over every automated run until someone unlocks it.
            obj.sections = form.report.to_dict()
            obj.locked, obj.edited_at = True, timezone.now()
            obj.needs_regeneration, obj.regeneration_reason = False, ""
        super().save_model(request, obj, form, change)
        if "body" in form.changed_data:
            cited = form.report.cited_refs()
            obj.papers.add(*(p for p in obj.digest.papers.all() if p.ref in cited))

    @admin.action(
        description=_("Regenerate selected summaries (locked ones are skipped)"),
        permissions=["change"],
    )
    def regenerate(self, request, queryset):
        """Mark them; the summarise stage of their days rewrites them (digest/receivers.py), under
        the same claim as every other rewrite."""
        stale = queryset.unlocked()
        ids = list(stale.values_list("pk", flat=True))
        stale.mark_for_regeneration("an editor asked for it")
        skipped = queryset.count() - len(ids)
        self.message_user(
            request,
            f"Marked {len(ids)} summaries for regeneration; {skipped} locked ones skipped.",
            messages.SUCCESS,
        )
        notify = functools.partial(self.message_user, request)
        regeneration_requested.send(sender=CategorySummary, summary_ids=ids, notify=notify)

    @admin.action(
        description=_("Unlock selected summaries (allow regeneration)"), permissions=["change"]
    )
    def unlock(self, request, queryset):
        count = queryset.update(locked=False)
        self.message_user(
            request,
            ngettext("Unlocked %(count)d summary.", "Unlocked %(count)d summaries.", count)
            % {"count": count},
        )

    def changelist_view(self, request, extra_context=None):
        """The list, plus tokens and estimated cost per day for the rows it shows."""
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["day_totals"] = (
                changelist.queryset.order_by()
                .values("digest__date")
                .annotate(
                    summaries=Count("pk"),
                    input_tokens=Sum("input_tokens"),
                    cache_read=Sum("cache_read_input_tokens"),
                    cache_write=Sum("cache_creation_input_tokens"),
                    output_tokens=Sum("output_tokens"),
                    cost=Sum("cost_usd"),
                )
                .order_by("-digest__date")[:14]
            )
        return response


class PaperBriefForm(forms.ModelForm):
    """The editor corrects the text: in the TL;DR's language, without foreign script, short."""

    class Meta:
        model = PaperBrief
        fields = ["text", "locked"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3, "cols": 80})}

    def clean_text(self):
        text = " ".join(self.cleaned_data["text"].split())
        if "text" not in self.changed_data:
            return text
        # Numbers are the editor's call: they may have read the paper, not only its abstract.
        problems = [
            problem
            for problem in briefs.complaints(text, text, self.instance.language)
            if not problem.startswith("has numbers")
        ]
        if problems:
            raise forms.ValidationError(f"The TL;DR {'; '.join(problems)}.")
        return text


@admin.register(PaperBrief)
class PaperBriefAdmin(admin.ModelAdmin):
    form = PaperBriefForm
    list_display = ["paper", "language", "text", "source", "locked", "needs_retry", "updated_at"]
    list_filter = ["language", "source", "locked", "needs_retry"]
    list_select_related = ["paper"]
    search_fields = ["text", "paper__arxiv_id", "paper__title"]
    readonly_fields = [
        "paper",
        "language",
        "source",
        "generator",
        "needs_retry",
        "retry_reason",
        "edited_at",
        "input_key",
        "cost_usd",
        "created_at",
        "updated_at",
    ]
    actions = ["unlock"]

    def has_add_permission(self, request):
        return False  # TL;DRs are written by the pipeline

    def save_model(self, request, obj, form, change):
        if "text" in form.changed_data:
            # An editor's text wins over every automated run until someone unlocks it.
            obj.source, obj.locked, obj.edited_at = PaperBrief.Source.EDITOR, True, timezone.now()
            obj.needs_retry, obj.retry_reason = False, ""
        super().save_model(request, obj, form, change)

    @admin.action(
        description="Unlock selected TL;DRs (the next run rewrites them)", permissions=["change"]
    )
    def unlock(self, request, queryset):
        # The key no longer matches anything, so the next summarise run writes them again.
        count = queryset.update(locked=False, input_key="")
        self.message_user(request, f"Unlocked {count} TL;DRs.")
