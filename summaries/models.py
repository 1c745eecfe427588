"""A day's per-category summaries."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CategorySummaryQuerySet(models.QuerySet):
    def on_day(self, day):
        return self.filter(digest__date=day)

    def unlocked(self):
        return self.filter(locked=False)

    def mark_for_regeneration(self, reason: str) -> int:
        """Flag these summaries as stale; the next summarise run rewrites the unlocked ones."""
        return self.update(needs_regeneration=True, regeneration_reason=reason[:300])


class CategorySummary(models.Model):
    """The five-part report of one category on one day, in one language."""

    digest = models.ForeignKey(
        "digest.DailyDigest",
        on_delete=models.CASCADE,
        related_name="summaries",
        verbose_name=_("daily digest"),
    )
    category = models.ForeignKey(
        "papers.Category",
        on_delete=models.PROTECT,
        related_name="summaries",
        verbose_name=_("category"),
    )
    language = models.CharField(_("language"), max_length=5, choices=settings.LANGUAGES)
    sections = models.JSONField(
        _("sections"), help_text=_("The five sections as structured data (summaries.report).")
    )
    body = models.TextField(
        _("text"),
        help_text=_(
            "The sections as Markdown. Editing it rewrites the sections and locks the "
            "summary against regeneration."
        ),
    )
    papers = models.ManyToManyField(
        "papers.Paper",
        related_name="summaries",
        blank=True,
        verbose_name=_("papers"),
        help_text=_("The papers the summariser was given in full, and those the text cites."),
    )
    paper_count = models.PositiveIntegerField(
        _("paper count"), help_text=_("Papers of the category that day.")
    )
    generator = models.CharField(
        _("generator"), max_length=100, help_text=_('"offline" or the model that wrote it.')
    )
    input_key = models.CharField(
        _("input key"),
        max_length=64,
        help_text=_("Hash of everything the text depends on; equal key, no rewrite."),
    )
    input_tokens = models.PositiveIntegerField(
        _("input tokens"), default=0, help_text=_("Uncached input tokens.")
    )
    output_tokens = models.PositiveIntegerField(_("output tokens"), default=0)
    cache_creation_input_tokens = models.PositiveIntegerField(_("cache-write tokens"), default=0)
    cache_read_input_tokens = models.PositiveIntegerField(_("cache-read tokens"), default=0)
    cost_usd = models.DecimalField(
        _("cost (USD)"),
        max_digits=10,
        decimal_places=6,
        default=0,
        help_text=_("Estimated from the token counts and ANTHROPIC_PRICES, attempts included."),
    )
    batched = models.BooleanField(
        _("batched"), default=False, help_text=_("Sent through Message Batches.")
    )
    locked = models.BooleanField(
        _("locked"),
        default=False,
        help_text=_("Edited by an editor: no automated run rewrites it until unlocked."),
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    needs_regeneration = models.BooleanField(
        _("needs regeneration"),
        default=False,
        help_text=_("Stale: an offline fallback after the LLM failed, or its papers were moved."),
    )
    regeneration_reason = models.CharField(_("regeneration reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = CategorySummaryQuerySet.as_manager()

    class Meta:
        verbose_name = _("category summary")
        verbose_name_plural = _("category summaries")
        ordering = ["digest", "category__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "category", "language"], name="one_summary_per_category_language"
            ),
        ]

    def __str__(self):
        return f"{self.digest.date.isoformat()} {self.category.slug} [{self.language}]"


class PaperBriefQuerySet(models.QuerySet):
    def shown(self):
        """Briefs a reader may see: with text (one left empty waits for the retry pass)."""
        return self.exclude(text="")


class PaperBrief(models.Model):
    """A paper's one-line TL;DR in one language: what it does and its main result.

    Written by Claude when there is a key, else extracted from the abstract (and labelled so);
    an editor's correction locks it. `input_key` hashes everything the text depends on, so an
    unchanged paper is never sent twice and a changed abstract is written again.
    """

    class Source(models.TextChoices):
        CLAUDE = "claude", "Claude"
        EXTRACT = "extract", "Extracted from the abstract"
        EDITOR = "editor", "Editor"

    paper = models.ForeignKey("papers.Paper", on_delete=models.CASCADE, related_name="briefs")
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    text = models.TextField(blank=True, help_text="Empty while it waits for the retry pass.")
    source = models.CharField(max_length=8, choices=Source.choices)
    generator = models.CharField(max_length=100, help_text='"extract" or the model that wrote it.')
    input_key = models.CharField(
        max_length=64, help_text="Hash of everything the text depends on; equal key, no rewrite."
    )
    cost_usd = models.DecimalField(
        "cost (USD)",
        max_digits=10,
        decimal_places=6,
        default=0,
        help_text="Its share of its request's estimated cost, retries included.",
    )
    locked = models.BooleanField(
        default=False, help_text="Edited by an editor: no automated run rewrites it until unlocked."
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    needs_retry = models.BooleanField(
        default=False,
        help_text="Claude's TL;DR was rejected twice or failed: the next run retries.",
    )
    retry_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperBriefQuerySet.as_manager()

    class Meta:
        verbose_name = "paper TL;DR"
        verbose_name_plural = "paper TL;DRs"
        constraints = [
            models.UniqueConstraint(fields=["paper", "language"], name="one_brief_per_language"),
        ]
        indexes = [
            models.Index(
                fields=["needs_retry"],
                condition=models.Q(needs_retry=True),
                name="brief_needs_retry",
            )
        ]

    def __str__(self):
        return f"{self.paper_id} [{self.language}] {self.text[:60]}"
