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
