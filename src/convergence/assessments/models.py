"""Campaigns, self-assessments, answers per axis, trajectories (milestones), blockers, evidence."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.catalog.models import Subject
from convergence.organisations.audit import AuditedHistory
from convergence.referential.models import Axis, BlockerCategory, Referential

from .enums import AssessmentStatus, CampaignScope, CampaignStatus, CommentSide


class Campaign(models.Model):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=300)
    referential = models.ForeignKey(Referential, on_delete=models.PROTECT, related_name="campaigns")
    scope = models.CharField(
        _("scope"), max_length=10, choices=CampaignScope.choices, default=CampaignScope.BOTH
    )
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    instructions = models.TextField(_("instructions"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-opens_on", "code"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        constraints = [
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="campaign_dates")
        ]

    def __str__(self) -> str:
        return self.title


class CampaignReminder(models.Model):
    """A deadline reminder sent for a campaign on a given day (keeps re-runs from mailing twice)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="reminders")
    sent_on = models.DateField()
    days_before = models.PositiveSmallIntegerField()
    organisations = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["campaign", "-sent_on"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "sent_on"], name="campaign_reminder_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.sent_on} (J-{self.days_before})"


class Assessment(models.Model):
    """One subject's self-assessment in one campaign."""

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="assessments")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="assessments")
    status = models.CharField(
        _("status"), max_length=20, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    # Incremented on every write: optimistic concurrency (a stale write is refused).
    version = models.PositiveIntegerField(default=1)
    returned_reason = models.TextField(_("reason for return"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The assessment the answers were carried over from (previous campaign), if any.
    carried_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["campaign", "subject__name"]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        indexes = [models.Index(fields=["campaign", "status"])]
        constraints = [models.UniqueConstraint(fields=["campaign", "subject"], name="assessment_unique")]

    def __str__(self) -> str:
        return f"{self.subject} / {self.campaign.code}"

    # Tenancy protocol (see catalog.models.Subject): permissions follow the subject.
    @property
    def owning_subject(self) -> Subject:
        return self.subject

    @property
    def owning_organisation(self):
        return self.subject.organisation

    # Audit protocol (organisations.audit): the owner's id without loading the subject when it
    # is not loaded already (one `values_list` then).
    @property
    def owning_organisation_id(self) -> int | None:
        subject = self._state.fields_cache.get("subject")
        if subject is not None:
            return subject.organisation_id
        return Subject.objects.filter(pk=self.subject_id).values_list("organisation_id", flat=True).first()

    def audit_label(self) -> str:
        """ "DPI Alpha — 2025-S2": the subject and the campaign (no query when both are loaded;
        one otherwise). The label is stored with the audit entry: codes and names, no language."""
        return _assessment_label(self)


class OwnedThroughAssessment:
    """Tenancy protocol for what hangs off an assessment (answers, review assignments, axis
    comments): it belongs to whoever owns the assessment. The owner's id comes through a loaded
    assessment when there is one, else from one `values_list` (organisations.audit)."""

    assessment: Assessment
    assessment_id: int

    @property
    def owning_subject(self) -> Subject:
        return self.assessment.subject

    @property
    def owning_organisation(self):
        return self.assessment.subject.organisation

    @property
    def owning_organisation_id(self) -> int | None:
        assessment = self._state.fields_cache.get("assessment")  # type: ignore[attr-defined]
        if assessment is not None:
            return assessment.owning_organisation_id
        return (
            Assessment.objects.filter(pk=self.assessment_id)
            .values_list("subject__organisation_id", flat=True)
            .first()
        )


class Answer(OwnedThroughAssessment, models.Model):
    """The declared level on one axis, or "not applicable" with a reason (never counted as 0).

    A row with no level and not_applicable false is an answer in progress (e.g. only a comment).
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    axis = models.ForeignKey(Axis, on_delete=models.PROTECT, related_name="answers")
    level = models.PositiveSmallIntegerField(_("level"), null=True, blank=True)
    not_applicable = models.BooleanField(_("not applicable"), default=False)
    not_applicable_reason = models.TextField(_("reason for not applicable"), blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Carried over from an earlier edition whose descriptors or expected level changed.
    needs_recheck = models.BooleanField(_("to re-check"), default=False)
    blockers = models.ManyToManyField(
        BlockerCategory, through="AnswerBlocker", related_name="answers", blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["assessment", "axis__position"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "axis"], name="answer_unique"),
            models.CheckConstraint(
                condition=Q(level__isnull=True) | Q(not_applicable=False), name="answer_na_no_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assessment} {self.axis.code}={self.level}"

    def audit_label(self) -> str:
        """ "INS · DPI Alpha — 2025-S2": the axis, then the assessment's label."""
        axis = self._state.fields_cache.get("axis")
        code = (
            axis.code
            if axis is not None
            else Axis.objects.filter(pk=self.axis_id).values_list("code", flat=True).first()
        )
        assessment = self._state.fields_cache.get("assessment")
        label = _assessment_label(assessment) if assessment else _assessment_label_of(self.assessment_id)
        return f"{code or self.axis_id} · {label}"


def _assessment_label(assessment: Assessment) -> str:
    subject = assessment._state.fields_cache.get("subject")
    campaign = assessment._state.fields_cache.get("campaign")
    if subject is None or campaign is None:
        return _assessment_label_of(assessment.pk)
    return f"{subject.name} — {campaign.code}"


def _assessment_label_of(assessment_id: int | None) -> str:
    row = (
        Assessment.objects.filter(pk=assessment_id).values_list("subject__name", "campaign__code").first()
        if assessment_id is not None
        else None
    )
    return f"{row[0]} — {row[1]}" if row else f"{Assessment._meta.verbose_name} #{assessment_id}"


class OwnedThroughAnswer:
    """Tenancy protocol for the parts of an answer (blockers, milestones, evidence): they
    belong to whoever owns the answer."""

    answer: Answer

    @property
    def owning_subject(self) -> Subject:
        return self.answer.owning_subject

    @property
    def owning_organisation(self):
        return self.answer.owning_organisation


class AnswerBlocker(OwnedThroughAnswer, models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="answer_blockers")
    category = models.ForeignKey(BlockerCategory, on_delete=models.PROTECT, related_name="answer_blockers")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["answer", "category"], name="answer_blocker_unique")]

    def __str__(self) -> str:
        return f"{self.answer_id} {self.category_id}"


class Milestone(OwnedThroughAnswer, models.Model):
    """A step of the convergence trajectory: reach `level` on the axis by `due_on`."""

    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="milestones")
    level = models.PositiveSmallIntegerField(_("target level"))
    due_on = models.DateField(_("due on"))

    class Meta:
        ordering = ["answer", "due_on", "level"]
        constraints = [models.UniqueConstraint(fields=["answer", "level"], name="milestone_level_unique")]

    def __str__(self) -> str:
        return f"{self.level} by {self.due_on}"


def evidence_path(instance: "Evidence", filename: str) -> str:
    return f"evidence/{instance.answer.assessment_id}/{filename}"


class Evidence(OwnedThroughAnswer, models.Model):
    answer = models.ForeignKey(Answer, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["answer", "uploaded_at"]
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")

    def __str__(self) -> str:
        return self.original_name


# --- Review: reviewer assignment and per-axis comment threads (owned by the review) ----------------


class ReviewAssignment(OwnedThroughAssessment, models.Model):
    """The agency analyst who reviews an assessment (at most one). Written by
    `services.review_assign`; the history keeps every (re)assignment."""

    assessment = models.OneToOneField(Assessment, on_delete=models.CASCADE, related_name="review_assignment")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_assignments"
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assigned_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        verbose_name = _("review assignment")
        verbose_name_plural = _("review assignments")

    def __str__(self) -> str:
        return f"{self.assessment_id} → {self.reviewer_id}"

    def audit_label(self) -> str:
        return f"{self._meta.verbose_name} #{self.assessment_id}"


class AxisComment(OwnedThroughAssessment, models.Model):
    """One message of the thread of an axis between the agency's reviewer and the declarant.
    Written by `services.axis_comment_add`."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="axis_comments")
    axis = models.ForeignKey(Axis, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The organisation the author acted for (the agency, or the subject's organisation).
    author_organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    side = models.CharField(_("side"), max_length=10, choices=CommentSide.choices)
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["assessment", "axis", "created_at", "pk"]
        verbose_name = _("axis comment")
        verbose_name_plural = _("axis comments")
        indexes = [models.Index(fields=["assessment", "axis"])]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.axis_id} {self.side}"

    def audit_label(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


# --- Questionnaire drafts (autosave) --------------------------------------------------------------


class AnswerDraft(models.Model):
    """What one person typed in an axis of the questionnaire and has not saved yet (autosave).

    Never an answer: reports, completion, submission and the API read `Answer` only. The explicit
    "Save axis" validates it like any answer and removes the draft. Kept server-side (not in the
    browser's localStorage) so that it survives a closed tab *and* a change of machine, and per
    person so that two colleagues typing in the same axis do not overwrite each other's draft.
    Not audited: it is scratch, written every few seconds while typing, and changes nothing.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answer_drafts")
    axis = models.ForeignKey(Axis, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The fields as typed (see forms.draft_data): level, not_applicable, not_applicable_reason,
    # comment, milestones [{level, due_on}], blockers [codes]; values unvalidated.
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField()

    class Meta:
        verbose_name = _("answer draft")
        verbose_name_plural = _("answer drafts")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "axis", "user"], name="answer_draft_unique")
        ]

    def __str__(self) -> str:
        return f"{self.assessment_id} {self.axis_id} {self.user_id} {self.saved_at}"

    @property
    def owning_subject(self) -> Subject:
        return self.assessment.subject

    @property
    def owning_organisation(self):
        return self.assessment.subject.organisation
