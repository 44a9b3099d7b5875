"""Published report snapshots (immutable) and computed dashboards (a cache keyed by data version)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from convergence.assessments.models import Campaign
from convergence.lib.regions import REGION_CHOICES

from .enums import RunStatus


class ImmutableSnapshotError(Exception):
    pass


class PublishedReport(models.Model):
    """A campaign report frozen in public mode, shown without login in the observatory.

    Never updated: publishing again creates a new snapshot, so a cited URL keeps its figures.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="published_reports")
    scope = models.CharField(_("scope"), max_length=10)
    region = models.CharField(_("region"), max_length=2, choices=REGION_CHOICES, blank=True)
    created_at = models.DateTimeField(_("published at"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    referential_code = models.CharField(_("referential"), max_length=100)
    # Copied so that the page still reads right if the campaign is renamed later.
    campaign_code = models.CharField(max_length=100)
    campaign_title = models.CharField(max_length=300)
    min_cell = models.PositiveSmallIntegerField(_("smallest group shown"))
    # The public-mode report JSON (convergence-report/1), exactly as published.
    data = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("published report")
        verbose_name_plural = _("published reports")

    def __str__(self) -> str:
        return f"{self.campaign_code} {self.scope} {self.region or 'national'} {self.created_at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise ImmutableSnapshotError("A published report is never changed: publish a new one.")
        super().save(*args, **kwargs)

    @property
    def slug(self) -> str:
        region = self.region or "national"
        return f"{self.campaign_code}-{self.scope}-{region}-{self.created_at:%Y-%m-%d}"


class ReportRun(models.Model):
    """A dashboard computation: progress while it runs, then its result, reused while the
    campaign's data keeps the same version (`data_version`)."""

    params_key = models.CharField(max_length=400)
    # What to compute (DashboardParams as JSON), read by the background task.
    params = models.JSONField(default=dict)
    data_version = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    step = models.CharField(max_length=100, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["params_key", "data_version"], name="report_run_unique")
        ]

    def __str__(self) -> str:
        return f"{self.params_key} @ {self.data_version} ({self.status})"


class AnswerFact(models.Model):
    """One answer of a published subject's reported assessment, with what the report groups it
    by: derived data, maintained at write time (analytics/facts.py), read by the report engine
    instead of joining answers, assessments, subjects, organisations, expectations and milestones.

    Never written by the ORM: `facts.facts_refresh()` rebuilds the rows of the assessments that
    database triggers marked stale (`StaleAssessment`). No foreign keys: the rows follow their
    sources through the triggers, not through cascades.
    """

    answer_id = models.BigIntegerField(primary_key=True)
    assessment_id = models.BigIntegerField(db_index=True)
    campaign_id = models.BigIntegerField(db_index=True)
    axis_id = models.BigIntegerField()
    subject_kind = models.CharField(max_length=10)
    type_or_category = models.CharField(max_length=100)
    # The region the subject counts in: a service's own, a product's organisation's ("" if none).
    region = models.CharField(max_length=2)
    level = models.PositiveSmallIntegerField(null=True)
    not_applicable = models.BooleanField()
    # The subject's type/category expected level on the axis in the campaign's referential
    # (null: none, or the type/category is unknown to that edition).
    expected_level = models.PositiveSmallIntegerField(null=True)
    # Below the expected level now: the year of the earliest milestone reaching it, if any.
    first_year = models.PositiveSmallIntegerField(null=True)
    # The year of the answer's latest milestone, if any.
    last_year = models.PositiveSmallIntegerField(null=True)

    def __str__(self) -> str:
        return f"answer {self.answer_id}"


class BlockerFact(models.Model):
    """One blocker cited on an answer that has an `AnswerFact`, with what the report filters it
    by: the blockers section reads these few rows instead of joining blockers to every fact.
    Maintained with the answer facts (same refresh, same triggers)."""

    assessment_id = models.BigIntegerField(db_index=True)
    campaign_id = models.BigIntegerField(db_index=True)
    axis_id = models.BigIntegerField()
    subject_kind = models.CharField(max_length=10)
    type_or_category = models.CharField(max_length=100)
    region = models.CharField(max_length=2)
    category_id = models.BigIntegerField()

    def __str__(self) -> str:
        return f"assessment {self.assessment_id} axis {self.axis_id} blocker {self.category_id}"


class StaleAssessment(models.Model):
    """An assessment whose facts must be rebuilt: inserted by database triggers on every write
    to what the facts derive from, consumed by `facts.facts_refresh()`.

    A row names the assessment, or one of its answers (a milestone's or blocker's trigger only
    copies the answer id it was given: looking the assessment up there would join the answers
    table once per statement of a bulk import), and the campaign whose figures changed when the
    trigger knows it (an assessment leaving the reported statuses, or moving). Not unique on
    purpose: on PostgreSQL a refresh consumes exactly the rows it read, so a row committed
    meanwhile stays for the next refresh (see facts.py)."""

    assessment_id = models.BigIntegerField(null=True, db_index=True)
    answer_id = models.BigIntegerField(null=True, db_index=True)
    campaign_id = models.BigIntegerField(null=True)

    def __str__(self) -> str:
        return f"assessment {self.assessment_id} answer {self.answer_id}"


class FactsVersion(models.Model):
    """Bumped by every refresh that changes a campaign's facts: the dashboards' cache key."""

    campaign_id = models.BigIntegerField(primary_key=True)
    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"campaign {self.campaign_id} v{self.version}"


class SnapshotRendering(models.Model):
    """What a snapshot's page shows that is costly to draw (the report body: key figures,
    charts as SVG, tables), rendered once per site language: at publication, or on the first
    view of a snapshot published before renderings were stored. Never recomputed: the
    snapshot is frozen, and so are the names its page showed when it was rendered."""

    snapshot = models.ForeignKey(PublishedReport, on_delete=models.CASCADE, related_name="renderings")
    language = models.CharField(max_length=10)
    # The HTML of analytics/_report_body.html in that language (charts inline as SVG).
    body = models.TextField()
    # The names of the snapshot's CSV tables, in the order the page lists them.
    tables = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "language"], name="snapshot_rendering_unique")
        ]

    def __str__(self) -> str:
        return f"snapshot {self.snapshot_id} ({self.language})"
