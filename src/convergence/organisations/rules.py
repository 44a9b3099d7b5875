"""Who may do what: the predicates every view, API endpoint and service checks.

Predicates take the user and, where relevant, an object; the acting organisation is read from the
object's context by the callers (see `access.py`). Extend this module rather than checking roles
inline in views.
"""

import rules

from .enums import ACCOUNT_MANAGER_ROLES, OrganisationKind, Role


def role_in(user, organisation) -> str | None:
    if not user.is_authenticated or organisation is None:
        return None
    membership = user.memberships.filter(organisation=organisation).only("role").first()
    return membership.role if membership else None


@rules.predicate
def is_member(user, organisation) -> bool:
    return role_in(user, organisation) is not None


@rules.predicate
def manages_accounts(user, organisation) -> bool:
    return role_in(user, organisation) in ACCOUNT_MANAGER_ROLES


@rules.predicate
def is_agency_member(user) -> bool:
    return user.is_authenticated and user.memberships.filter(organisation__kind=OrganisationKind.AGENCY).exists()


@rules.predicate
def is_agency_analyst(user) -> bool:
    return user.is_authenticated and user.memberships.filter(
        organisation__kind=OrganisationKind.AGENCY, role__in=[Role.ANALYSTE, Role.ADMINISTRATEUR]
    ).exists()


rules.add_perm("organisations.view_organisation", is_member | is_agency_member)
rules.add_perm("organisations.manage_members", manages_accounts)
