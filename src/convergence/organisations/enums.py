from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    VENDOR = "vendor", _("Software vendor")
    ARS = "ars", _("Regional health agency (ARS)")
    GRADES = "grades", _("Regional e-health operator (GRADeS)")
    AGENCY = "agency", _("National agency")


class Role(models.TextChoices):
    # Vendors
    MANDATAIRE = "mandataire", _("Legal representative (mandataire)")
    REPRESENTANT = "representant", _("Representative (représentant)")
    SALARIE = "salarie", _("Employee (salarié)")
    # Regions (ARS, GRADeS) and agency
    ADMINISTRATEUR = "administrateur", _("Administrator")
    CONTRIBUTEUR = "contributeur", _("Contributor")
    # Agency
    ANALYSTE = "analyste", _("Analyst")


ROLES_BY_KIND: dict[str, list[str]] = {
    OrganisationKind.VENDOR: [Role.MANDATAIRE, Role.REPRESENTANT, Role.SALARIE],
    OrganisationKind.ARS: [Role.ADMINISTRATEUR, Role.CONTRIBUTEUR],
    OrganisationKind.GRADES: [Role.ADMINISTRATEUR, Role.CONTRIBUTEUR],
    OrganisationKind.AGENCY: [Role.ANALYSTE, Role.ADMINISTRATEUR],
}

# Roles that manage an organisation's accounts (and must use two-factor authentication).
ACCOUNT_MANAGER_ROLES = {Role.MANDATAIRE, Role.REPRESENTANT, Role.ADMINISTRATEUR}

# How much a role may do, least first: what a form proposes by default is the least powerful role
# (an invitation sent without a second look grants the least).
ROLE_POWER: dict[str, int] = {
    Role.SALARIE: 0,
    Role.CONTRIBUTEUR: 0,
    Role.ANALYSTE: 0,
    Role.REPRESENTANT: 1,
    Role.ADMINISTRATEUR: 2,
    Role.MANDATAIRE: 3,
}


def least_powerful(roles: list[str]) -> str | None:
    """The least powerful of `roles` (None when there is none)."""
    return min(roles, key=lambda role: ROLE_POWER.get(role, 0)) if roles else None
