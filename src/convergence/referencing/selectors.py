"""Reads of referencing: what the acting organisation may see (another's object: 404)."""

from __future__ import annotations

from django.db.models import F, Prefetch, QuerySet
from django.http import Http404

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation, User
from convergence.organisations.tenancy import is_agency

from .enums import DossierStatus, ProgrammeStatus
from .models import Award, Dossier, Programme, Requirement


def programmes_visible_to(organisation: Organisation | None) -> QuerySet[Programme]:
    """The agency reads every version; the others the published (and archived) ones."""
    if organisation is None:
        return Programme.objects.none()
    queryset = Programme.objects.select_related("referential")
    if is_agency(organisation):
        return queryset
    return queryset.exclude(status=ProgrammeStatus.DRAFT)


def get_programme_or_404(organisation: Organisation | None, pk: int) -> Programme:
    try:
        return (
            programmes_visible_to(organisation)
            .prefetch_related(
                "questions", Prefetch("requirements", queryset=Requirement.objects.order_by("position"))
            )
            .get(pk=pk)
        )
    except (Programme.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- Dossiers ----------------------------------------------------------------------------------------


def dossiers_visible_to(organisation: Organisation | None) -> QuerySet[Dossier]:
    """The agency reads every dossier; an organisation its own products' (or services')."""
    if organisation is None:
        return Dossier.objects.none()
    queryset = Dossier.objects.select_related("programme", "subject__organisation", "referent")
    if is_agency(organisation):
        return queryset
    return queryset.filter(subject__organisation=organisation)


def dossiers_editable_by(organisation: Organisation | None) -> QuerySet[Dossier]:
    """Dossiers an organisation may change: its own (the agency instructs, it does not edit)."""
    if organisation is None or is_agency(organisation):
        return Dossier.objects.none()
    return dossiers_visible_to(organisation)


def get_dossier_or_404(organisation: Organisation | None, pk: int, *, for_edit: bool = False) -> Dossier:
    queryset = dossiers_editable_by(organisation) if for_edit else dossiers_visible_to(organisation)
    try:
        return queryset.get(pk=pk)
    except (Dossier.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def instruction_queue(
    *, programme: Programme | None = None, status: str | None = None, referent_id: int | None = None
) -> QuerySet[Dossier]:
    """The agency's queue: submitted dossiers onwards, the nearest due date first."""
    queryset = Dossier.objects.exclude(status=DossierStatus.DRAFT).select_related(
        "programme", "subject__organisation", "referent"
    )
    if programme is not None:
        queryset = queryset.filter(programme=programme)
    if status:
        queryset = queryset.filter(status=status)
    if referent_id:
        queryset = queryset.filter(referent_id=referent_id)
    return queryset.order_by(F("due_on").asc(nulls_last=True), "submitted_at")


def agency_members() -> QuerySet[User]:
    return (
        User.objects.filter(
            is_active=True,
            memberships__organisation__kind=OrganisationKind.AGENCY,
            memberships__organisation__is_active=True,
        )
        .distinct()
        .order_by("email")
    )


# --- Awards (the public register and attestations read these) ----------------------------------------


def register_awards(programme_code: str | None = None) -> QuerySet[Award]:
    """Every award of the register: what the public may read of a dossier (the product, its
    vendor, the programme, the dates and the state)."""
    queryset = Award.objects.select_related(
        "dossier__programme", "dossier__subject__organisation", "referential"
    ).order_by("dossier__programme__code", "dossier__subject__name", "pk")
    if programme_code:
        queryset = queryset.filter(dossier__programme__code=programme_code)
    return queryset


def get_award_by_code_or_404(code: str) -> Award:
    try:
        return register_awards().get(verification_code=code)
    except (Award.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_award_or_404(organisation: Organisation | None, pk: int) -> Award:
    dossiers = dossiers_visible_to(organisation)
    try:
        return register_awards().filter(dossier__in=dossiers).get(pk=pk)
    except (Award.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
