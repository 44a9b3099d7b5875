from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from convergence.lib.regions import REGION_CHOICES
from convergence.lib.siren import is_valid_siren

from .enums import OrganisationKind, Role


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)

    def __str__(self) -> str:
        return self.get_full_name() or self.email or self.username


def validate_siren(value: str) -> None:
    if value and not is_valid_siren(value):
        raise ValidationError(_("%(value)s is not a valid SIREN (9 digits with a valid check digit)."),
                              params={"value": value})


class Organisation(models.Model):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=20, choices=OrganisationKind.choices)
    region = models.CharField(_("region"), max_length=2, choices=REGION_CHOICES, blank=True)
    siren = models.CharField(_("SIREN"), max_length=9, blank=True, validators=[validate_siren])
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=["ars", "grades"]) | ~Q(region=""), name="regional_organisation_has_region"
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


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["organisation__name", "user__email"]
        constraints = [models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"
