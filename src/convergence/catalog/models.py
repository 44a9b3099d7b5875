"""What is assessed: vendors' products and regions' digital services ("subjects")."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from convergence.lib.regions import REGION_CHOICES
from convergence.organisations.audit import AuditedHistory
from convergence.organisations.models import Organisation

from .enums import SubjectKind, SubjectStatus


class Subject(models.Model):
    code = models.SlugField(_("code"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SubjectKind.choices)
    name = models.CharField(_("name"), max_length=300)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="subjects")
    # Code of a service type (services) or product category (products) of the referential.
    type_or_category = models.CharField(_("type or category"), max_length=100)
    status = models.CharField(
        _("status"), max_length=20, choices=SubjectStatus.choices, default=SubjectStatus.ACTIVE
    )
    # A service's region; empty for products (their region is their organisation's, if any).
    region = models.CharField(_("region"), max_length=2, choices=REGION_CHOICES, blank=True)
    version = models.CharField(_("version"), max_length=100, blank=True)
    product_reference = models.CharField(_("product reference"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = AuditedHistory()

    class Meta:
        ordering = ["name", "code"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")
        indexes = [models.Index(fields=["kind", "status"]), models.Index(fields=["organisation", "kind"])]
        constraints = [
            models.CheckConstraint(condition=~Q(kind="service") | ~Q(region=""), name="service_has_region"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.version}".strip()

    # Tenancy protocol (organisations.rules.organisation_of, catalog.rules.subject_of): what a
    # permission looks at to decide who may act on this object.
    @property
    def owning_subject(self) -> "Subject":
        return self

    @property
    def owning_organisation(self) -> Organisation:
        return self.organisation

    # Audit protocol (organisations.audit): the owner's id and a label, with no query.
    @property
    def owning_organisation_id(self) -> int:
        return self.organisation_id

    def audit_label(self) -> str:
        return self.name

    @property
    def effective_region(self) -> str:
        """The region the subject counts in: its own for a service, its organisation's for a product."""
        return self.region if self.kind == SubjectKind.SERVICE else self.organisation.region
