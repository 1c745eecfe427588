"""Papers and the taxonomy they are sorted into."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Category(models.Model):
    """One section of the digest; `description` is the scope classifiers and editors agree on."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    name_ko = models.CharField("Korean name", max_length=100)
    emoji = models.CharField(max_length=16)
    description = models.TextField(
        help_text="Scope: what belongs here, for classifiers and editors."
    )
    color = models.CharField(max_length=7, help_text="Chart colour, as #rrggbb.")
    order = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="category_color_hex"
            ),
        ]

    def __str__(self):
        return f"{self.emoji} {self.name}"

    def display_name(self, language: str) -> str:
        return self.name_ko if language == "ko" else self.name


class PaperQuerySet(models.QuerySet):
    def announced_on(self, day):
        return self.filter(announced_on=day)

    def in_category(self, category):
        return self.filter(category=category)

    def machine_assignable(self):
        """Papers a classifier may (re)assign: not decided by an editor, not imported history."""
        return self.exclude(category_method__in=Paper.LOCKED_METHODS)


class Paper(models.Model):
    """An arXiv paper, keyed by its id without version; a newer version updates the same row."""

    class Method(models.TextChoices):
        RULE = "rule", "Rule"
        MODEL = "model", "Model"
        LLM = "llm", "LLM"
        EDITOR = "editor", "Editor"
        IMPORTED = "imported", "Imported"

    # Decisions no automated re-run may change.
    LOCKED_METHODS = (Method.EDITOR, Method.IMPORTED)

    class Source(models.TextChoices):
        ARXIV = "arxiv", "arXiv listing"
        HF_DAILY = "hf_daily", "Hugging Face Daily Papers"
        DEEPLEARN = "deeplearn", "deeplearn.org Hot Papers"

    arxiv_id = models.CharField(
        "arXiv id", max_length=32, unique=True, null=True, blank=True, help_text="Without version."
    )
    version = models.PositiveSmallIntegerField(default=1)
    title = models.TextField()
    abstract = models.TextField(blank=True)
    authors = models.JSONField(default=list, blank=True)
    primary_category = models.CharField("primary arXiv category", max_length=32, blank=True)
    arxiv_categories = models.JSONField("arXiv categories", default=list, blank=True)
    published = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    journal_ref = models.TextField(blank=True)
    doi = models.CharField("DOI", max_length=255, blank=True)
    abs_url = models.URLField("abstract page", max_length=500)
    pdf_url = models.URLField("PDF", max_length=500, blank=True)
    announced_on = models.DateField(
        db_index=True, help_text="The arXiv announcement (digest) date it first appeared on."
    )
    revised_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a newer version last changed the title or abstract: work done on the "
        "paper before then is stale.",
    )
    upvotes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hugging Face Daily Papers upvotes; empty when not listed."
    )
    hf_comments = models.PositiveIntegerField(
        "Hugging Face comments", null=True, blank=True, help_text="Empty when not listed."
    )
    github_repo = models.URLField("GitHub repository", max_length=500, blank=True)
    github_stars = models.PositiveIntegerField(
        null=True, blank=True, help_text="As Hugging Face Daily Papers last reported them."
    )
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.ARXIV)

    # The category assignment: machines write it only while the method is not a locked one.
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="papers", null=True, blank=True
    )
    category_method = models.CharField(max_length=8, choices=Method.choices, blank=True)
    category_confidence = models.FloatField(null=True, blank=True)
    categorised_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PaperQuerySet.as_manager()

    class Meta:
        ordering = [F("upvotes").desc(nulls_last=True), "arxiv_id", "id"]
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
        self.categorised_at = timezone.now()
