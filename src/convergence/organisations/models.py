from django.apps import apps
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.lib.regions import REGION_CHOICES
from convergence.lib.siren import is_valid_siren

from .audit import AuditedHistory
from .enums import OrganisationKind, Role


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.username


def validate_siren(value: str) -> None:
    if value and not is_valid_siren(value):
        raise ValidationError(
            _("%(value)s is not a valid SIREN (9 digits with a valid check digit)."), params={"value": value}
        )


class Organisation(models.Model):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    region = models.CharField(_("region"), max_length=2, choices=REGION_CHOICES, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["ars", "grades"]) | ~Q(region=""),
                name="regional_organisation_has_region",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_agency(self) -> bool:
        return self.kind == OrganisationKind.AGENCY

    @property
    def is_regional(self) -> bool:
        return self.kind in (OrganisationKind.ARS, OrganisationKind.GRADES)

    # Tenancy and audit protocols (rules.organisation_of, audit): an organisation owns itself.
    @property
    def owning_organisation(self) -> "Organisation":
        return self

    @property
    def owning_organisation_id(self) -> int | None:
        return self.pk

    def audit_label(self) -> str:
        return self.name


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"

    @property
    def owning_organisation(self) -> Organisation:
        return self.organisation

    @property
    def owning_organisation_id(self) -> int:
        return self.organisation_id

    def audit_label(self) -> str:
        """Who and with which role: "ana@acme.example (mandataire)". The address costs one query
        when the user is not loaded (a membership is written rarely; a label of "#10" told the
        reader nothing). The role is its code: the label is stored, and read in any language."""
        member = self._state.fields_cache.get("user")
        email = (
            member.email
            if member is not None
            else User.objects.filter(pk=self.user_id).values_list("email", flat=True).first()
        )
        return f"{email or self.user_id} ({self.role})"


class Invitation(models.Model):
    """An invitation to join an organisation with a role, sent by e-mail.

    Only the SHA-256 of the token is stored: the link in the e-mail is the only copy of the token.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        indexes = [models.Index(fields=["organisation", "accepted_at", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.role})"

    @property
    def is_pending(self) -> bool:
        from django.utils import timezone

        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", _("Login")
    LOGIN_FAILED = "login_failed", _("Failed login")
    LOGOUT = "logout", _("Logout")
    MFA_FAILED = "mfa_failed", _("Two-factor authentication failure")
    MFA_ACTIVATED = "mfa_activated", _("Two-factor authentication activated")
    MFA_DEACTIVATED = "mfa_deactivated", _("Two-factor authentication deactivated")
    PASSWORD_CHANGED = "password_changed", _("Password changed")
    PASSWORD_RESET = "password_reset", _("Password reset")
    PERMISSION_DENIED = "permission_denied", _("Permission denied")
    LOCKOUT = "lockout", _("Account locked out (too many failed logins)")


class SecurityEvent(models.Model):
    kind = models.CharField(_("event"), max_length=30, choices=SecurityEventKind.choices)
    user = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # What was typed at login (kept even when no such account exists).
    identifier = models.CharField(_("identifier"), max_length=254, blank=True)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind} {self.identifier}"


class AuditAction(models.TextChoices):
    CREATED = "+", _("Created")
    CHANGED = "~", _("Changed")
    DELETED = "-", _("Deleted")


class AuditEntry(models.Model):
    """One line of the audit log: a change recorded by django-simple-history, denormalised so the
    log of every audited model is one indexed, filterable, paginated table. The full field-level
    history stays in each model's historical table (`history_model` / `history_id`)."""

    occurred_at = models.DateTimeField(_("date"), db_index=True)
    action = models.CharField(_("action"), max_length=1, choices=AuditAction.choices)
    user = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    # The organisation the user acted for (the acting organisation of the request).
    acting_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # The organisation the changed object belongs to (None for agency-wide objects).
    owner_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    object_type = models.CharField(_("object type"), max_length=100)  # "catalog.subject"
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(_("object"), max_length=300)
    change_reason = models.CharField(_("reason"), max_length=300, blank=True)
    history_model = models.CharField(max_length=100)
    history_id = models.BigIntegerField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["owner_organisation", "occurred_at"]),
            models.Index(fields=["object_type", "occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"

    @property
    def object_type_label(self) -> str:
        """The changed object's kind in the reader's language ("campagne"), not "assessments.campaign"."""
        try:
            return str(apps.get_model(self.object_type)._meta.verbose_name)
        except (LookupError, ValueError):
            return self.object_type
