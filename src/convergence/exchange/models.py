"""One record per dataset import: who, when, which file, what it did.

Bulk imports write answers with bulk operations, which record no per-row history
(django-simple-history): an import of a million answers would double its writes. The import is
audited once, here, with its counts and its problems.
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_token() -> str:
    return secrets.token_urlsafe(24)


class ImportRun(models.Model):
    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        RUNNING = "running", _("Running")
        PREVIEWED = "previewed", _("Checked, waiting for confirmation")
        REJECTED = "rejected", _("Rejected (errors)")
        APPLIED = "applied", _("Applied")
        CANCELLED = "cancelled", _("Cancelled")
        # Its process stopped (killed, machine restarted) before it finished: nothing written.
        INTERRUPTED = "interrupted", _("Interrupted")

    class Step(models.TextChoices):
        CHECK = "check", _("Check")
        APPLY = "apply", _("Import")

    class Source(models.TextChoices):
        COMMAND = "command", _("Command line")
        WEB = "web", _("Web upload")

    # Names the uploaded file kept under DATA_DIR between the preview and the confirmation.
    token = models.CharField(max_length=64, unique=True, default=new_token)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.COMMAND)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The organisation the import acted for (None: command line or agency importing for all).
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restricted = models.BooleanField(default=False)
    file_name = models.CharField(_("file"), max_length=255)
    file_format = models.CharField(max_length=10)
    file_size = models.PositiveBigIntegerField(default=0)
    campaign_code = models.CharField(max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    rows = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)  # progress of a running check or import
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    problems_truncated = models.BooleanField(default=False)
    # The web preview's list of subjects: [code, name, action] (at most MAX_LISTED_SUBJECTS).
    subjects = models.JSONField(default=list, blank=True)
    # The step a process is running (or was running when it stopped) and when it took the run
    # (its lease, `lease.py`, is held meanwhile): a claimed run whose lease is free has no live
    # process any more (`services.import_runs_reap`).
    step = models.CharField(max_length=10, choices=Step.choices, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("dataset import")
        verbose_name_plural = _("dataset imports")

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def summary(self) -> str:
        """The command line's one-line summary (English, for scripts: contract section 1)."""
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"

    @property
    def wrote(self) -> bool:
        """Whether the import wrote anything: only an applied one did (a rejected, cancelled,
        interrupted import or a preview wrote nothing, whatever its file would have done)."""
        return self.status == self.Status.APPLIED
