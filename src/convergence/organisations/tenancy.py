"""Tenancy: on behalf of which organisation a request acts.

A request acts on behalf of one organisation at a time (the *acting organisation*): the one the
user chose among their memberships (kept in the session), or the one an API token is scoped to.
This module sits at the bottom of the import graph: it imports only the organisations' models.
What the acting organisation may *see* is decided by each app's selectors (`catalog.selectors`
for subjects, `assessments.selectors` for campaigns and assessments, ...), whose `get_…_or_404`
helpers do the lookup and the check together, answering 404 for another organisation's object.
"""

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .enums import OrganisationKind
from .models import Membership, Organisation, User

SESSION_KEY = "acting_organisation_id"


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, organisation__is_active=True).select_related("organisation")


def acting_membership(request: HttpRequest) -> Membership | None:
    """The membership the request acts through; the first one when none was chosen.

    Cached on the request. API authentication sets `request.acting_membership` itself.
    """
    if hasattr(request, "acting_membership"):
        return request.acting_membership  # type: ignore[attr-defined]
    membership = None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        memberships = memberships_of(user)
        chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if chosen is not None:
            membership = memberships.filter(organisation_id=chosen).first()
        if membership is None:
            membership = memberships.order_by("organisation__name").first()
    request.acting_membership = membership  # type: ignore[attr-defined]
    return membership


def acting_organisation(request: HttpRequest) -> Organisation | None:
    membership = acting_membership(request)
    return membership.organisation if membership else None


def switch_organisation(request: HttpRequest, organisation_id: int) -> Membership:
    """Make another of the user's organisations the acting one; 404 if not a member."""
    membership = memberships_of(request.user).filter(organisation_id=organisation_id).first()  # type: ignore[arg-type]
    if membership is None:
        raise Http404
    request.session[SESSION_KEY] = membership.organisation_id
    request.acting_membership = membership  # type: ignore[attr-defined]
    return membership


def is_agency(organisation: Organisation | None) -> bool:
    return organisation is not None and organisation.kind == OrganisationKind.AGENCY


def organisations_visible_to(organisation: Organisation | None) -> QuerySet[Organisation]:
    if organisation is None:
        return Organisation.objects.none()
    if is_agency(organisation):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk=organisation.pk)
