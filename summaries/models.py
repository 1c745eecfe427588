"""A day's per-category summaries."""

from django.conf import settings
from django.db import models


class CategorySummary(models.Model):
    """The five-part report of one category on one day, in one language."""

    digest = models.ForeignKey(
        "digest.DailyDigest", on_delete=models.CASCADE, related_name="summaries"
    )
    category = models.ForeignKey(
        "papers.Category", on_delete=models.PROTECT, related_name="summaries"
    )
    language = models.CharField(max_length=5, choices=settings.LANGUAGES)
    sections = models.JSONField(
        help_text="The five sections as structured data (summaries.report)."
    )
    body = models.TextField(help_text="The sections rendered as Markdown.")
    papers = models.ManyToManyField("papers.Paper", related_name="summaries", blank=True)
    paper_count = models.PositiveIntegerField(help_text="Papers of the category that day.")
    generator = models.CharField(max_length=100, help_text='"offline" or the model that wrote it.')
    input_key = models.CharField(
        max_length=64, help_text="Hash of everything the text depends on; equal key, no rewrite."
    )
    input_tokens = models.PositiveIntegerField(default=0)
    output_tokens = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "category summaries"
        ordering = ["digest", "category__order"]
        constraints = [
            models.UniqueConstraint(
                fields=["digest", "category", "language"], name="one_summary_per_category_language"
            ),
        ]

    def __str__(self):
        return f"{self.digest.date.isoformat()} {self.category.slug} [{self.language}]"
