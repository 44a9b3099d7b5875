"""Referencing programmes, defined by the agency as data (pages or YAML), versioned: a programme
is a (code, version) pair; importing a changed definition of a code that has dossiers makes a new
version, so a dossier always reads the requirements it was instructed against."""

import datetime
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from convergence.assessments.models import Assessment
from convergence.catalog.models import Subject
from convergence.organisations.audit import AuditedHistory
from convergence.referential.models import Referential

from .enums import (
    AuditOutcome,
    AuditStatus,
    AwardState,
    AwardStatus,
    DossierStatus,
    Opinion,
    ProgrammeScope,
    ProgrammeStatus,
)


class Programme(models.Model):
    code = models.SlugField(_("code"), max_length=100)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    referential = models.ForeignKey(
        Referential,
        on_delete=models.PROTECT,
        related_name="programmes",
        verbose_name=_("referential edition"),
    )
    scope = models.CharField(_("scope"), max_length=10, choices=ProgrammeScope.choices)
    # Codes of the product categories (or service types) of the referential that may apply.
    eligible_codes = models.JSONField(_("eligible categories or service types"), default=list)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    validity_months = models.PositiveSmallIntegerField(_("validity of an award (months)"))
    charter = models.TextField(_("charter"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=ProgrammeStatus.choices, default=ProgrammeStatus.DRAFT
    )
    content_hash = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["code", "-version"]
        verbose_name = _("referencing programme")
        verbose_name_plural = _("referencing programmes")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="programme_code_version")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"

    def audit_label(self) -> str:
        return f"{self.code} v{self.version}"


class EligibilityQuestion(models.Model):
    """A yes/no question of the qualification questionnaire; its answer decides which
    requirements apply ("Does it exchange with Mon espace santé?")."""

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(_("code"), max_length=50)
    text = models.CharField(_("question"), max_length=500)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["programme", "position"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return self.text


class Requirement(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="requirements")
    code = models.SlugField(_("code"), max_length=50)
    title = models.CharField(_("title"), max_length=300)
    position = models.PositiveIntegerField(default=0)
    # {axis code: minimum level} on the product's current validated assessment.
    minimum_levels = models.JSONField(_("minimum levels"), default=dict, blank=True)
    # Axis codes whose answer must carry at least one piece of evidence.
    evidence_on = models.JSONField(_("evidence required on"), default=list, blank=True)
    charter = models.BooleanField(_("charter to accept"), default=False)
    # Applies only when the question (code) was answered `applies_answer`; always when blank.
    applies_if_question = models.SlugField(max_length=50, blank=True)
    applies_if_answer = models.BooleanField(default=True)

    class Meta:
        ordering = ["programme", "position"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="requirement_code_unique")]

    def __str__(self) -> str:
        return f"{self.code} — {self.title}"


class Dossier(models.Model):
    """An application of one product (or service) to one programme version."""

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="dossiers")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="dossiers")
    status = models.CharField(
        _("status"), max_length=20, choices=DossierStatus.choices, default=DossierStatus.DRAFT
    )
    referent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("referent"),
    )
    # {question code: yes/no}
    eligibility_answers = models.JSONField(default=dict, blank=True)
    # {requirement code: why it is not met (yet)}
    explanations = models.JSONField(default=dict, blank=True)
    charter_accepted_at = models.DateTimeField(null=True, blank=True)
    charter_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The product's validated assessment the dossier was submitted with.
    assessment = models.ForeignKey(
        Assessment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # When the agency expects the next step: complements due, or the instruction's target.
    due_on = models.DateField(_("due on"), null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("referencing dossier")
        verbose_name_plural = _("referencing dossiers")
        constraints = [models.UniqueConstraint(fields=["programme", "subject"], name="dossier_unique")]
        indexes = [models.Index(fields=["programme", "status"])]

    def __str__(self) -> str:
        return f"{self.subject.name} — {self.programme.title}"

    @property
    def owning_subject(self) -> Subject:
        return self.subject

    @property
    def owning_organisation(self):
        return self.subject.organisation

    @property
    def owning_organisation_id(self) -> int | None:
        subject = self._state.fields_cache.get("subject")
        if subject is not None:
            return subject.organisation_id
        return Subject.objects.filter(pk=self.subject_id).values_list("organisation_id", flat=True).first()

    def audit_label(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"


class OwnedThroughDossier:
    dossier: Dossier

    @property
    def owning_organisation(self):
        return self.dossier.owning_organisation

    @property
    def owning_organisation_id(self) -> int | None:
        return self.dossier.owning_organisation_id

    def audit_label(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"  # type: ignore[attr-defined]


class Finding(OwnedThroughDossier, models.Model):
    """An instructor's finding on one requirement of a dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="findings")
    requirement = models.ForeignKey(Requirement, on_delete=models.PROTECT, related_name="+")
    met = models.BooleanField(_("met"))
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        verbose_name = _("finding")
        constraints = [models.UniqueConstraint(fields=["dossier", "requirement"], name="finding_unique")]

    def __str__(self) -> str:
        return f"{self.requirement.code}: {self.met}"


class ComplementRequest(OwnedThroughDossier, models.Model):
    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="complement_requests")
    message = models.TextField(_("message"))
    due_on = models.DateField(_("due on"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("complement request")

    def __str__(self) -> str:
        return self.message[:80]


class CommissionMeeting(models.Model):
    title = models.CharField(_("title"), max_length=300)
    held_on = models.DateField(_("held on"))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="commission_meetings", verbose_name=_("members")
    )
    dossiers = models.ManyToManyField(Dossier, related_name="meetings", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("commission meeting")

    def __str__(self) -> str:
        return f"{self.title} ({self.held_on:%Y-%m-%d})"


class CommissionOpinion(OwnedThroughDossier, models.Model):
    """The commission's one opinion on a dossier."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="opinion")
    meeting = models.ForeignKey(CommissionMeeting, on_delete=models.PROTECT, related_name="opinions")
    opinion = models.CharField(_("opinion"), max_length=20, choices=Opinion.choices)
    reservations = models.TextField(_("reservations"), blank=True)
    reservations_due_on = models.DateField(_("suspensive reservations due on"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        verbose_name = _("commission opinion")

    def __str__(self) -> str:
        return self.get_opinion_display()


def _verification_code() -> str:
    return secrets.token_urlsafe(12)


class Award(OwnedThroughDossier, models.Model):
    dossier = models.OneToOneField(Dossier, on_delete=models.PROTECT, related_name="award")
    # The stable, unguessable key of the public attestation URL.
    verification_code = models.CharField(max_length=32, unique=True, default=_verification_code)
    product_version = models.CharField(_("product version"), max_length=100, blank=True)
    referential = models.ForeignKey(Referential, on_delete=models.PROTECT, related_name="+")
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(
        _("status"), max_length=20, choices=AwardStatus.choices, default=AwardStatus.ACTIVE
    )
    status_reason = models.TextField(_("reason"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    # Suspensive reservations: the award lapses after this date unless they are lifted.
    reservations_due_on = models.DateField(null=True, blank=True)
    reservations_lifted_at = models.DateTimeField(null=True, blank=True)
    needs_review = models.BooleanField(_("to review"), default=False)
    review_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-starts_on", "-pk"]
        verbose_name = _("award")

    def __str__(self) -> str:
        return f"{self.dossier}"

    def state(self, today: datetime.date) -> AwardState:
        """What the attestation says on `today`: the recorded status first, then the dates."""
        if self.status == AwardStatus.WITHDRAWN:
            return AwardState.WITHDRAWN
        if self.status == AwardStatus.SUSPENDED:
            return AwardState.SUSPENDED
        if today > self.ends_on:
            return AwardState.EXPIRED
        if self.reservations_due_on and self.reservations_lifted_at is None:
            return AwardState.LAPSED if today > self.reservations_due_on else AwardState.VALID_RESERVATIONS
        return AwardState.VALID


class NonConformityReport(models.Model):
    """A report by any logged-in person that an awarded product does not conform."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("description"))
    created_at = models.DateTimeField(auto_now_add=True)
    audit = models.ForeignKey(
        "Audit", on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report of non-conformity")

    def __str__(self) -> str:
        return self.description[:80]


class Audit(models.Model):
    award = models.ForeignKey(Award, on_delete=models.PROTECT, related_name="audits")
    scope = models.TextField(_("scope"))
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    findings = models.TextField(_("findings"), blank=True)
    report = models.TextField(_("report"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AuditStatus.choices, default=AuditStatus.OPEN
    )
    outcome = models.CharField(_("outcome"), max_length=20, choices=AuditOutcome.choices, blank=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("audit")

    def __str__(self) -> str:
        return f"{self._meta.verbose_name} #{self.pk}"

    @property
    def owning_organisation(self):
        return self.award.owning_organisation

    @property
    def owning_organisation_id(self) -> int | None:
        return self.award.owning_organisation_id


class AwardReminder(models.Model):
    """That a reminder was sent (award expiring in N days, reservations due in N days), so that
    running the daily command twice sends nothing twice."""

    award = models.ForeignKey(Award, on_delete=models.CASCADE, related_name="reminders")
    event = models.CharField(max_length=40)
    days_before = models.PositiveSmallIntegerField()
    sent_on = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["award", "event", "days_before"], name="award_reminder_unique")
        ]

    def __str__(self) -> str:
        return f"{self.award_id} {self.event} J-{self.days_before}"
