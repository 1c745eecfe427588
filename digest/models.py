"""Daily digests and the record of every pipeline run that builds them."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from papers.sources import KINDS


class DigestQuerySet(models.QuerySet):
    def published(self):
        """What readers see, including the days arXiv made no announcement (shown as such)."""
        return self.filter(published_at__isnull=False)

    def with_announcement(self):
        """Days arXiv announced papers on: the digests proper."""
        return self.exclude(status=DailyDigest.Status.NO_ANNOUNCEMENT)

    def incomplete(self):
        """Days whose stored papers fall short of their recorded listing: the ones to resume."""
        short = Q()
        for kind in KINDS:
            short |= ~Q(**{f"stored_{kind}": F(f"announced_{kind}")})
        return self.filter(announced_new__isnull=False).filter(short)


class DailyDigest(models.Model):
    """One arXiv announcement day; readers see it once `published_at` is set."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        INGESTED = "ingested", _("Ingested")
        CLASSIFIED = "classified", _("Classified")
        SUMMARISED = "summarised", _("Summarised")
        PUBLISHED = "published", _("Published")
        NO_ANNOUNCEMENT = "no_announcement", _("No announcement")

    date = models.DateField(_("date"), unique=True, help_text=_("The arXiv announcement date."))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    papers = models.ManyToManyField(
        "papers.Paper", related_name="digests", blank=True, verbose_name=_("papers")
    )
    # One slice per category, largest first: {"category": its id, "count", "titles", and the
    # name, Korean name, emoji and colour it had then} (digest.chart.distribution).
    chart = models.JSONField(
        _("chart"),
        default=list,
        blank=True,
        help_text=_("Category distribution computed at publish time."),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    # Completeness: how many papers arXiv's listing announced, by kind (empty until it is read),
    # and how many of those are stored at their listed version. Complete when they match.
    announced_new = models.PositiveIntegerField(_("announced new"), null=True, blank=True)
    announced_cross = models.PositiveIntegerField(_("announced cross-lists"), null=True, blank=True)
    announced_replace = models.PositiveIntegerField(
        _("announced replacements"), null=True, blank=True
    )
    stored_new = models.PositiveIntegerField(_("stored new"), default=0)
    stored_cross = models.PositiveIntegerField(_("stored cross-lists"), default=0)
    stored_replace = models.PositiveIntegerField(_("stored replacements"), default=0)
    listing = models.JSONField(
        _("listing"),
        default=list,
        blank=True,
        help_text=_(
            "The listing as [arXiv id, version, kind] rows, kept so that an interrupted "
            "ingest resumes after rss.arxiv.org has moved on."
        ),
    )
    approximate = models.BooleanField(
        _("approximate"),
        default=False,
        help_text=_("Listed from submission dates (a backfill), not from arXiv's announcement."),
    )

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = DigestQuerySet.as_manager()

    class Meta:
        ordering = ["-date"]
        get_latest_by = "date"
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")

    def __str__(self):
        return f"Digest {self.date.isoformat()}"

    @property
    def announced(self) -> int | None:
        counts = [getattr(self, f"announced_{kind}") for kind in KINDS]
        return None if None in counts else sum(counts)

    @property
    def stored(self) -> int:
        return sum(getattr(self, f"stored_{kind}") for kind in KINDS)

    @property
    def is_complete(self) -> bool | None:
        """Whether every listed paper is stored at its listed version; None without a listing
        (not ingested yet, or imported history)."""
        if self.announced is None:
            return None
        return all(
            getattr(self, f"announced_{kind}") == getattr(self, f"stored_{kind}") for kind in KINDS
        )

    @property
    def has_announcement(self) -> bool:
        return self.status != self.Status.NO_ANNOUNCEMENT


class PipelineRun(models.Model):
    """One attempt at one stage for one date; a running row is the stage's claim on that date."""

    class Stage(models.TextChoices):
        INGEST = "ingest", _("Ingest")
        CLASSIFY = "classify", _("Classify")
        SUMMARISE = "summarise", _("Summarise")
        PUBLISH = "publish", _("Publish")

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    date = models.DateField(_("date"))
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("pipeline run")
        verbose_name_plural = _("pipeline runs")
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


class PopularitySnapshot(models.Model):
    """A paper's Hugging Face upvotes and GitHub stars as the scheduled refresh read them
    (digest/popularity.py), one row per paper and refresh day: the latest day's row minus the
    one before is what the paper gained, which the rising list ranks. A second refresh on the
    same day overwrites that day's row."""

    paper = models.ForeignKey(
        "papers.Paper", on_delete=models.CASCADE, related_name="popularity_snapshots"
    )
    day = models.DateField(_("refreshed on"), help_text=_("The announcement day of the refresh."))
    upvotes = models.PositiveIntegerField(_("upvotes"), null=True, blank=True)
    stars = models.PositiveIntegerField(_("GitHub stars"), null=True, blank=True)

    class Meta:
        ordering = ["-day", "paper"]
        verbose_name = _("popularity snapshot")
        verbose_name_plural = _("popularity snapshots")
        indexes = [models.Index(fields=["day"], name="snapshot_day")]
        constraints = [
            models.UniqueConstraint(fields=["paper", "day"], name="one_snapshot_per_paper_day"),
        ]

    def __str__(self):
        return f"{self.paper_id} on {self.day.isoformat()}: {self.upvotes} up, {self.stars} stars"
