"""Papers and the taxonomy they are sorted into."""

from contextlib import nullcontext

from django.db import connections, models
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

    def insert(self, papers: list["Paper"]) -> None:
        """`bulk_create(papers)`, through COPY on PostgreSQL: a day's papers are megabytes of
        text, and compiling and quoting them into INSERT statements was a third of storing a
        day (bench/ingest.py). Each paper gets its primary key, as bulk_create gives it."""
        connection = connections[self.db]
        if connection.vendor != "postgresql" or not papers:
            self.bulk_create(papers, batch_size=500)
            return
        fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        statement = f"COPY {Paper._meta.db_table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            # In the query log like any statement (when queries are logged: DEBUG, tests), and
            # its errors Django's (IntegrityError, OperationalError), which the pipeline judges.
            logged = cursor.debug_sql(statement) if connection.queries_logged else nullcontext()
            errors = connection.wrap_database_errors
            with logged, errors, cursor.cursor.copy(statement) as copy:
                for paper in papers:
                    copy.write_row(
                        [f.get_db_prep_save(f.pre_save(paper, True), connection) for f in fields]
                    )
        ids = [paper.arxiv_id for paper in papers if paper.arxiv_id]
        urls = [paper.abs_url for paper in papers if not paper.arxiv_id]
        keys = self.filter(
            Q(arxiv_id__in=ids) | Q(arxiv_id__isnull=True, abs_url__in=urls)
        ).values_list("arxiv_id", "abs_url", "pk")
        pk_of = {arxiv_id or url: pk for arxiv_id, url, pk in keys}
        for paper in papers:
            paper.pk = pk_of[paper.arxiv_id or paper.abs_url]
            paper._state.adding, paper._state.db = False, self.db


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
