"""Reads on the catalog, always through the acting organisation (see organisations.tenancy).

The visibility of subjects is decided here, once: web pages, the API, exports and reports call
`subjects_visible_to` / `get_subject_or_404`.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation
from convergence.organisations.tenancy import is_agency
from convergence.referential.enums import ReferentialStatus
from convergence.referential.models import ProductCategory, Referential, ServiceType

from .enums import SubjectKind
from .models import Subject

__all__ = [
    "subjects_visible_to",
    "subjects_editable_by",
    "get_subject_or_404",
    "current_referential",
    "typology_codes",
    "typology_choices",
    "subject_list",
    "subject_get",
    "subject_get_for_edit",
]


def subjects_visible_to(organisation: Organisation | None) -> QuerySet[Subject]:
    """Subjects an organisation may read: the agency all; a region (ARS, GRADeS) its own subjects
    and every service of its region; a vendor its own products."""
    if organisation is None:
        return Subject.objects.none()
    if is_agency(organisation):
        return Subject.objects.all()
    condition = Q(organisation=organisation)
    if organisation.kind in (OrganisationKind.ARS, OrganisationKind.GRADES) and organisation.region:
        condition |= Q(kind=SubjectKind.SERVICE, region=organisation.region)
    return Subject.objects.filter(condition)


def subjects_editable_by(organisation: Organisation | None) -> QuerySet[Subject]:
    """Subjects whose declaration and assessments an organisation may change: its own
    (the agency changes nothing through this path; it reviews)."""
    if organisation is None:
        return Subject.objects.none()
    return Subject.objects.filter(organisation=organisation)


def get_subject_or_404(organisation: Organisation | None, pk: int, *, for_edit: bool = False) -> Subject:
    queryset = subjects_editable_by(organisation) if for_edit else subjects_visible_to(organisation)
    try:
        return queryset.select_related("organisation").get(pk=pk)
    except (Subject.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def current_referential() -> Referential | None:
    """The latest published edition: subjects are declared against its typology."""
    return (
        Referential.objects.filter(status=ReferentialStatus.PUBLISHED)
        .order_by("-published_on", "-created_at")
        .first()
    )


def typology_codes(*, referential: Referential, kind: str) -> set[str]:
    model = ServiceType if kind == SubjectKind.SERVICE else ProductCategory
    return set(model.objects.filter(referential=referential).values_list("code", flat=True))


def typology_choices(*, referential: Referential | None, kind: str | None) -> list[tuple[str, str]]:
    """(code, name) of service types and/or product categories, in referential order."""
    if referential is None:
        return []
    choices: list[tuple[str, str]] = []
    if kind in (None, SubjectKind.SERVICE):
        choices += [
            (t.code, str(t))
            for t in ServiceType.objects.filter(referential=referential).select_related("family")
        ]
    if kind in (None, SubjectKind.PRODUCT):
        choices += [(c.code, str(c)) for c in ProductCategory.objects.filter(referential=referential)]
    return choices


def subject_list(*, organisation: Organisation | None) -> QuerySet[Subject]:
    return subjects_visible_to(organisation).select_related("organisation")


def subject_get(*, organisation: Organisation | None, pk: int) -> Subject:
    return get_subject_or_404(organisation, pk)


def subject_get_for_edit(*, organisation: Organisation | None, pk: int) -> Subject:
    return get_subject_or_404(organisation, pk, for_edit=True)
