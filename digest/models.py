"""Daily digests and the record of every pipeline run that builds them."""

from django.db import models
from django.db.models import Q


class DigestQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published_at__isnull=False)


class DailyDigest(models.Model):
    """One arXiv announcement day; readers see it once `published_at` is set."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        INGESTED = "ingested", "Ingested"
        CLASSIFIED = "classified", "Classified"
        SUMMARISED = "summarised", "Summarised"
        PUBLISHED = "published", "Published"

    date = models.DateField(unique=True, help_text="The arXiv announcement date.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    papers = models.ManyToManyField("papers.Paper", related_name="digests", blank=True)
    chart = models.JSONField(
        default=list, blank=True, help_text="Category distribution computed at publish time."
    )
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        get_latest_by = "date"

    def __str__(self):
        return f"Digest {self.date.isoformat()}"


class PipelineRun(models.Model):
    """One attempt at one stage for one date; a running row is the stage's claim on that date."""

    class Stage(models.TextChoices):
        INGEST = "ingest", "Ingest"
        CLASSIFY = "classify", "Classify"
        SUMMARISE = "summarise", "Summarise"
        PUBLISH = "publish", "Publish"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    date = models.DateField()
    stage = models.CharField(max_length=10, choices=Stage.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["date", "stage"], name="run_date_stage")]
        constraints = [
            # The claim: inserting a second running row for the same date and stage fails.
            models.UniqueConstraint(
                fields=["date", "stage"],
                condition=Q(status="running"),
                name="one_running_run_per_stage",
            ),
            models.CheckConstraint(
                condition=Q(status="running", finished_at__isnull=True)
                | (~Q(status="running") & Q(finished_at__isnull=False)),
                name="run_finished_unless_running",
            ),
        ]

    def __str__(self):
        return f"{self.stage} {self.date.isoformat()} ({self.status})"

    @property
    def duration(self):
        return self.finished_at - self.started_at if self.finished_at else None
