"""Reads on the catalog, always through the acting organisation (see organisations.access)."""

from __future__ import annotations

from django.db.models import QuerySet

from convergence.organisations.access import get_subject_or_404, subjects_visible_to
from convergence.organisations.models import Organisation
from convergence.referential.enums import ReferentialStatus
from convergence.referential.models import ProductCategory, Referential, ServiceType

from .enums import SubjectKind
from .models import Subject

__all__ = [
    "current_referential",
    "typology_codes",
    "typology_choices",
    "subject_list",
    "subject_get",
    "subject_get_for_edit",
]


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
