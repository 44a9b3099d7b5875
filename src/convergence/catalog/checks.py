"""The rules a subject's record (a product or a regional service) obeys: pure functions, plain
values in, `convergence.lib.checks.Problem` out, located on the model's field names (`kind`,
`name`, `code`, `type_or_category`, `status`, `region`, `version`, `product_reference`).

Every write path calls them: `services.subject_create` / `subject_update` (and so the web forms
and the API), and the bulk dataset importer, which hands in what the database knows (the codes
of the referential's typology, the organisation's kind and region) so no rule reads it itself.
"""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import Problem
from convergence.lib.regions import REGIONS
from convergence.organisations.checks import code_problems, text_problems
from convergence.organisations.enums import OrganisationKind

from .enums import SubjectKind, SubjectStatus
from .models import Subject

# Which kind of subject each kind of organisation declares (the agency declares none).
KIND_BY_ORGANISATION: dict[str, str] = {
    OrganisationKind.VENDOR: SubjectKind.PRODUCT,
    OrganisationKind.ARS: SubjectKind.SERVICE,
    OrganisationKind.GRADES: SubjectKind.SERVICE,
}

DECLARES_NOTHING = _("Only vendors declare products and only ARS or GRADeS declare services.")
# One sentence per kind of organisation: enum labels do not read well mid-sentence.
WRONG_KIND = {
    SubjectKind.PRODUCT: _("A software vendor declares products, not regional services."),
    SubjectKind.SERVICE: _("An ARS or a GRADeS declares regional services, not products."),
}
UNKNOWN_KIND = _("Unknown subject kind “%(value)s”; known kinds: %(known)s.")
NAME_REQUIRED = _("Give the name of the product or service.")
NO_REFERENTIAL = _("No published referential yet: ask the agency to publish one.")
TYPE_REQUIRED = _("A service needs its service type.")
CATEGORY_REQUIRED = _("A product needs its product category.")
UNKNOWN_TYPE = _('Unknown service type "%(code)s" in %(referential)s; known types: %(known)s.')
UNKNOWN_CATEGORY = _('Unknown product category "%(code)s" in %(referential)s; known categories: %(known)s.')
UNKNOWN_STATUS = _("Unknown status “%(value)s”; known statuses: %(known)s.")
SERVICE_REGION_REQUIRED = _(
    "A service needs a region of the nomenclature, got “%(value)s”; known regions: %(known)s."
)
SERVICE_OUTSIDE_REGION = _(
    "A service of %(organisation)s belongs to its region %(expected)s, not %(region)s."
)
PRODUCT_HAS_NO_REGION = _("A product has no region of its own (its organisation's counts).")


def subject_kind_for(organisation_kind: str) -> str | None:
    """The kind of subject an organisation of this kind declares, or None (the agency)."""
    return KIND_BY_ORGANISATION.get(organisation_kind)


def subject_kind_problems(*, kind: str, organisation_kind: str) -> list[Problem]:
    """`kind` against the declaring organisation's kind: a vendor declares products, an ARS or a
    GRADeS services, the agency nothing (that last problem has no field: the whole record is
    refused)."""
    if kind not in SubjectKind.values:
        return [Problem("kind", UNKNOWN_KIND, {"value": kind, "known": ", ".join(SubjectKind.values)})]
    expected = subject_kind_for(organisation_kind)
    if expected is None:
        return [Problem("", DECLARES_NOTHING)]
    if kind != expected:
        return [Problem("kind", WRONG_KIND[SubjectKind(expected)])]
    return []


def type_or_category_problems(
    *, kind: str, type_or_category: str, known_codes: Collection[str] | None, referential: str = ""
) -> list[Problem]:
    """`type_or_category`: required, and a code of the referential's service types (service) or
    product categories (product). `known_codes` are those codes for this kind (None: there is
    no referential to declare against); `referential` names the edition in the message."""
    if known_codes is None:
        return [Problem("type_or_category", NO_REFERENTIAL)]
    if not type_or_category:
        return [
            Problem("type_or_category", TYPE_REQUIRED if kind == SubjectKind.SERVICE else CATEGORY_REQUIRED)
        ]
    if type_or_category not in known_codes:
        message = UNKNOWN_TYPE if kind == SubjectKind.SERVICE else UNKNOWN_CATEGORY
        known = ", ".join(sorted(known_codes)) or "—"
        params = {"code": type_or_category, "referential": referential, "known": known}
        return [Problem("type_or_category", message, params)]
    return []


def status_problems(status: str) -> list[Problem]:
    """`status`: one of `SubjectStatus`."""
    if status not in SubjectStatus.values:
        return [
            Problem("status", UNKNOWN_STATUS, {"value": status, "known": ", ".join(SubjectStatus.values)})
        ]
    return []


def subject_region_problems(
    *,
    kind: str,
    region: str,
    organisation_kind: str = "",
    organisation_region: str = "",
    organisation: str = "",
) -> list[Problem]:
    """`region`: a service's region is a code of the nomenclature and, when its organisation is an
    ARS or a GRADeS, that organisation's region; a product has none (it counts in its
    organisation's). `organisation` names the organisation in the message."""
    region = region or ""
    if kind == SubjectKind.PRODUCT:
        return [Problem("region", PRODUCT_HAS_NO_REGION)] if region else []
    if kind != SubjectKind.SERVICE:
        return []
    if region not in REGIONS:
        return [Problem("region", SERVICE_REGION_REQUIRED, {"value": region, "known": ", ".join(REGIONS)})]
    regional = organisation_kind in (OrganisationKind.ARS, OrganisationKind.GRADES)
    if regional and organisation_region and region != organisation_region:
        params = {"organisation": organisation, "expected": organisation_region, "region": region}
        return [Problem("region", SERVICE_OUTSIDE_REGION, params)]
    return []


def subject_problems(
    *,
    kind: str,
    organisation_kind: str,
    name: str,
    type_or_category: str,
    known_codes: Collection[str] | None,
    referential: str = "",
    status: str = SubjectStatus.ACTIVE,
    region: str = "",
    organisation_region: str = "",
    organisation: str = "",
    code: str | None = None,
    version: str = "",
    product_reference: str = "",
) -> list[Problem]:
    """Everything wrong with one subject's record, taken alone.

    - `kind` vs `organisation_kind`: `subject_kind_problems` (when they disagree, the other
      kind-dependent rules are skipped: the record is about something else);
    - `name`: required; `name`, `version`, `product_reference` no longer than the model fields
      (a service has no version nor product reference: its service drops them);
    - `code`: checked only when given (not None; a service generates a missing one);
    - `type_or_category`: `type_or_category_problems` against `known_codes`;
    - `status`: `status_problems`; `region`: `subject_region_problems`.

    The uniqueness of `code` among subjects is the caller's (a database lookup, or the
    importer's identity of records).
    """
    problems = text_problems(Subject, "name", name, required=Problem("name", NAME_REQUIRED))
    if code is not None:
        problems += code_problems(Subject, code)
    problems += status_problems(status)
    kind_problems = subject_kind_problems(kind=kind, organisation_kind=organisation_kind)
    if kind_problems:
        return [*kind_problems, *problems]
    problems += text_problems(Subject, "version", version)
    problems += text_problems(Subject, "product_reference", product_reference)
    problems += type_or_category_problems(
        kind=kind, type_or_category=type_or_category, known_codes=known_codes, referential=referential
    )
    problems += subject_region_problems(
        kind=kind,
        region=region,
        organisation_kind=organisation_kind,
        organisation_region=organisation_region,
        organisation=organisation,
    )
    return problems
