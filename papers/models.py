"""Papers and the taxonomy they are sorted into (their querysets: papers/querysets.py)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from papers.querysets import CategoryQuerySet, PaperQuerySet


class Category(models.Model):
    """One section of the digest; `description` is the scope classifiers and editors agree on.

    Everything stored about a category (papers, summaries, a day's chart) refers to it by id, so
    an editor may rename its slug: the old one is kept in `previous_slugs`, and its addresses
    redirect to the new one. The fallback category (`FALLBACK`) is what classifiers file
    unplaceable papers under: it stays active and keeps its slug.
    """

    FALLBACK = "other"

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_ko = models.CharField(_("Korean name"), max_length=100)
    emoji = models.CharField(_("emoji"), max_length=16)
    description = models.TextField(
        _("scope"), help_text=_("Scope: what belongs here, for classifiers and editors.")
    )
    color = models.CharField(_("colour"), max_length=7, help_text=_("Chart colour, as #rrggbb."))
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    previous_slugs = models.JSONField(
        _("previous slugs"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Slugs this category had before; their addresses redirect to the current one."),
    )

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="category_color_hex"
            ),
        ]

    def __str__(self):
        return f"{self.emoji} {self.name}"

    def save(self, *args, **kwargs):
        """Remember a slug an editor replaces, so that its old addresses still lead here."""
        stored = getattr(self, "_stored_slug", None)
        if stored and stored != self.slug:
            self.previous_slugs = [s for s in self.previous_slugs if s != self.slug] + [stored]
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "previous_slugs"}
        super().save(*args, **kwargs)
        self._stored_slug = self.slug

    def display_name(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored_slug = instance.__dict__.get("slug")  # None when deferred
        return instance

    @property
    def is_fallback(self) -> bool:
        """Whether this row is the fallback category as stored (whatever the form now says)."""
        return (getattr(self, "_stored_slug", None) or self.slug) == self.FALLBACK

    def clean(self):
        super().clean()
        if not self.is_fallback or self.pk is None:
            return
        # Not keyed by field: the changelist's inline form has `is_active` but not `slug`.
        errors = []
        if self.slug != self.FALLBACK:
            errors.append(
                _(
                    '"%(slug)s" is the fallback category classifiers file unplaceable papers '
                    "under: its slug cannot change."
                )
                % {"slug": self.FALLBACK}
            )
        if not self.is_active:
            errors.append(
                _(
                    '"%(slug)s" is the fallback category classifiers file unplaceable papers '
                    "under: it cannot be deactivated."
                )
                % {"slug": self.FALLBACK}
            )
        if errors:
            raise ValidationError(errors)


class Paper(models.Model):
    """An arXiv paper, keyed by its id without version; a newer version updates the same row."""

    class Method(models.TextChoices):
        RULE = "rule", _("Rule")
        MODEL = "model", _("Model")
        LLM = "llm", _("LLM")
        EDITOR = "editor", _("Editor")
        IMPORTED = "imported", _("Imported")

    # Decisions no automated re-run may change.
    LOCKED_METHODS = (Method.EDITOR, Method.IMPORTED)

    class Source(models.TextChoices):
        ARXIV = "arxiv", _("arXiv listing")
        HF_DAILY = "hf_daily", _("Hugging Face Daily Papers")
        DEEPLEARN = "deeplearn", _("deeplearn.org Hot Papers")

    arxiv_id = models.CharField(
        _("arXiv id"),
        max_length=32,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Without version."),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    title = models.TextField(_("title"))
    abstract = models.TextField(_("abstract"), blank=True)
    authors = models.JSONField(_("authors"), default=list, blank=True)
    primary_category = models.CharField(_("primary arXiv category"), max_length=32, blank=True)
    arxiv_categories = models.JSONField(_("arXiv categories"), default=list, blank=True)
    published = models.DateTimeField(_("published"), null=True, blank=True)
    updated = models.DateTimeField(_("updated"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    journal_ref = models.TextField(_("journal reference"), blank=True)
    doi = models.CharField(_("DOI"), max_length=255, blank=True)
    abs_url = models.URLField(_("abstract page"), max_length=500)
    pdf_url = models.URLField(_("PDF"), max_length=500, blank=True)
    announced_on = models.DateField(
        _("announced on"),
        db_index=True,
        help_text=_("The arXiv announcement (digest) date it first appeared on."),
    )
    revised_at = models.DateTimeField(
        _("revised at"),
        null=True,
        blank=True,
        help_text=_(
            "When a newer version last changed the title or abstract: work done on the "
            "paper before then is stale."
        ),
    )
    upvotes = models.PositiveIntegerField(
        _("upvotes"),
        null=True,
        blank=True,
        help_text=_("Hugging Face Daily Papers upvotes; empty when not listed."),
    )
    hf_comments = models.PositiveIntegerField(
        _("Hugging Face comments"), null=True, blank=True, help_text=_("Empty when not listed.")
    )
    github_repo = models.URLField(_("GitHub repository"), max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(
        _("GitHub stars"),
        null=True,
        blank=True,
        help_text=_("As Hugging Face Daily Papers last reported them."),
    )
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.ARXIV
    )

    # The category assignment: machines write it only while the method is not a locked one.
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="papers",
        null=True,
        blank=True,
        verbose_name=_("category"),
    )
    category_method = models.CharField(
        _("decided by"), max_length=8, choices=Method.choices, blank=True
    )
    category_confidence = models.FloatField(_("confidence"), null=True, blank=True)
    # The machine's second choice, for the review queue: written with each machine decision,
    # empty for editors' and imported decisions and when nothing came close.
    category_runner_up = models.ForeignKey(
        Category,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("runner-up category"),
    )
    category_runner_up_confidence = models.FloatField(
        _("runner-up confidence"), null=True, blank=True
    )
    categorised_at = models.DateTimeField(_("categorised at"), null=True, blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = [F("upvotes").desc(nulls_last=True), "arxiv_id", "id"]
        verbose_name = _("paper")
        verbose_name_plural = _("papers")
        constraints = [
            # Papers without an arXiv id (deeplearn.org links) are keyed by their URL instead.
            models.UniqueConstraint(
                fields=["abs_url"], condition=Q(arxiv_id__isnull=True), name="paper_url_without_id"
            ),
            models.CheckConstraint(
                condition=Q(category_confidence__isnull=True)
                | Q(category_confidence__gte=0, category_confidence__lte=1),
                name="paper_confidence_0_1",
            ),
            models.CheckConstraint(
                condition=Q(category__isnull=True) | ~Q(category_method=""),
                name="paper_category_has_method",
            ),
        ]

    def __str__(self):
        return f"{self.arxiv_id or self.abs_url}: {self.title[:80]}"

    @property
    def ref(self) -> str:
        """How summaries cite this paper: its arXiv id, or its URL when it has none."""
        return self.arxiv_id or self.abs_url

    def assign_by_editor(self, category: Category) -> None:
        self.category = category
        self.category_method = self.Method.EDITOR
        self.category_confidence = 1.0
        self.category_runner_up = None
        self.category_runner_up_confidence = None
        self.categorised_at = timezone.now()


class RelatedPaper(models.Model):
    """One of a paper's most similar papers in the archive, by title and abstract
    (papers/related.py), computed when the paper is ingested; `rank` 1 is the most similar."""

    paper = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="related_links")
    related = models.ForeignKey(Paper, on_delete=models.CASCADE, related_name="+")
    rank = models.PositiveSmallIntegerField()
    score = models.FloatField(help_text="Cosine similarity of their TF-IDF vectors, 0 to 1.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["paper", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["paper", "rank"], name="one_related_paper_per_rank"),
        ]

    def __str__(self):
        return f"{self.paper_id} ~ {self.related_id} (#{self.rank}, {self.score:.2f})"
