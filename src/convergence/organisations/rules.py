"""Who may do what: the role predicates every app builds its permissions from, and the
organisations' own permissions.

How to use
----------
Every permission is a `rules` permission, checked with Django's usual API::

    request.user.has_perm("assessments.change_assessment", assessment)     # Python
    {% load rules %}{% has_perm "catalog.change_subject" user subject as can_edit %}   # templates
    from rules.contrib.views import permission_required                      # views
    from convergence.organisations.rules import require_perm                 # services
    require_perm(user, "assessments.submit_assessment", assessment)          # raises PermissionDenied

Each app declares its permissions in its own ``rules.py`` (``catalog.rules``,
``assessments.rules``, ``analytics.rules``, ``referential.rules``, ``exchange.rules``), built from
the predicates below; ``rules`` autodiscovers them at start-up. Services take the acting user and
call `require_perm`; views only translate ``PermissionDenied`` / ``Http404``.

Predicates take ``(user, obj)``. The object's *organisation* decides: a user may act on an
object when their membership **in the object's organisation** has the right role (see
`organisation_of`). The tenant boundary itself (what the acting organisation may *see*, answering
404 for the rest) stays in each app's selectors (`get_…_or_404`): look the object up through
them first, then check the permission. A permission says *who* may do something; whether the object's *state*
allows it (e.g. an assessment is still a draft, its campaign still open) is a pure rule of the
app (`assessments.checks`) that the services call.

Permissions, by object (declared in the app named by the prefix):

=====================================  ===============  =============================================
permission                             object           who
=====================================  ===============  =============================================
organisations.view_organisation        Organisation     its members; agency members
organisations.list_organisations       Organisation     members of the agency, acting for it (pass the
                                                        acting organisation)
organisations.add_organisation         None             agency analysts and administrators
organisations.change_organisation      Organisation     its account managers
organisations.manage_members           Organisation     its account managers (invite, list and withdraw
                                                        invitations)
organisations.change_membership        Membership       account managers of its organisation whose role
                                                        ranks at least as high (not a représentant on a
                                                        mandataire); oneself (the service refuses
                                                        raising one's own role or granting above one's
                                                        own rank)
organisations.remove_membership        Membership       same as change_membership (oneself: leaving)
organisations.view_audit_log           Organisation     its account managers; members of the agency
                                                        acting for it (all entries)
organisations.view_security_events     Organisation     members of the agency, acting for it
catalog.view_subject                   Subject          members of its organisation; agency members;
                                                        members of an ARS/GRADeS of a service's region
catalog.add_subject                    Organisation     its members (vendor, ARS, GRADeS; not agency)
catalog.change_subject                 Subject          members of its organisation
catalog.delete_subject                 Subject          account managers of its organisation (retire and
                                                        reactivate)
assessments.view_assessment            Assessment       like catalog.view_subject on its subject
assessments.change_assessment          Assessment       members of the subject's organisation
assessments.submit_assessment          Assessment       members of the subject's organisation
assessments.review_assessment          Organisation     agency analysts and administrators, acting for
                                       (acting)         the agency
assessments.assign_reviewer            Organisation     same as review_assessment
assessments.comment_axis               ActingOn         agency reviewers acting for it; members of the
                                                        assessment's organisation acting for it
assessments.view_evidence              Evidence/Answer  like assessments.view_assessment
assessments.add_evidence               Answer           like assessments.change_assessment
assessments.delete_evidence            Evidence         like assessments.change_assessment
assessments.view_campaign_progress     None             agency members (campaign pages)
assessments.manage_campaign            Campaign/None    agency analysts and administrators
analytics.view_campaign_report         Organisation     members of the agency, acting for it (national
                                                        figures of every region, unsuppressed)
analytics.view_regional_dashboard      Organisation     members of an ARS or GRADeS, acting for it
analytics.view_benchmark               Organisation     members of a vendor, acting for it
analytics.publish_report               Organisation     agency analysts and administrators, acting for
                                                        the agency
referential.view_referential           Referential      anyone if published; agency members otherwise;
                                                        members of vendors and regions once its
                                                        consultation has opened
referential.change_referential         Referential/None agency analysts and administrators (the admin's
                                                        change permission, through the rules backend)
exchange.import_dataset                Organisation     agency analysts and administrators, acting for
                                                        the agency (any organisation's data)
referential.comment_consultation       Organisation     members of a vendor, ARS or GRADeS, acting for
                                       (acting)         it (comments on a draft in consultation)
referential.change_consultation_comment Comment         its author, while a member of its organisation
                                                        (until it is answered)
referencing.view_programme             Programme        anyone logged in when published; agency
                                                        members otherwise
referencing.manage_programme           Organisation     agency analysts and administrators, acting for
                                                        the agency
referencing.apply                      Subject          account managers of the subject's organisation
referencing.view_dossier               Dossier          members of its organisation; agency members
referencing.change_dossier             Dossier          account managers of its organisation
referencing.instruct_dossier           Organisation     agency analysts and administrators, acting for
                                                        the agency (référent, findings, complements,
                                                        commission meetings, awards, audits)
referencing.record_opinion             ActingOn         the meeting's members, acting for the agency
referencing.report_nonconformity       Award            anyone logged in
=====================================  ===============  =============================================

Role lookups are cached on the user instance and invalidated whenever any membership is saved or
deleted (a process-wide generation counter), so checking permissions row by row in a list costs
one query per user, not one per row.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import rules
from django.core.exceptions import PermissionDenied
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _

from .enums import ACCOUNT_MANAGER_ROLES, ROLES_BY_KIND, OrganisationKind, Role

AGENCY_REVIEWER_ROLES = {Role.ANALYSTE, Role.ADMINISTRATEUR}

# Rank of each role inside its kind of organisation: a manager may grant roles up to their own
# rank, never above (so nobody raises themselves by inviting a second account).
ROLE_RANK: dict[str, int] = {
    Role.MANDATAIRE: 3,
    Role.REPRESENTANT: 2,
    Role.SALARIE: 1,
    Role.ADMINISTRATEUR: 3,
    Role.CONTRIBUTEUR: 1,
    Role.ANALYSTE: 1,
}

_generation = itertools.count(1)
_current_generation = next(_generation)


def _bump_generation(**kwargs: Any) -> None:
    global _current_generation
    _current_generation = next(_generation)


post_save.connect(_bump_generation, sender="organisations.Membership", dispatch_uid="rules_membership_saved")
post_delete.connect(
    _bump_generation, sender="organisations.Membership", dispatch_uid="rules_membership_deleted"
)


def membership_rows(user) -> list[tuple[int, str, str, str]]:
    """(organisation id, role, organisation kind, organisation name) of the user's active
    organisations, by name; one query per user instance and membership change (cached)."""
    cached = getattr(user, "_convergence_roles", None)
    if cached is not None and cached[0] == _current_generation:
        return cached[1]
    rows = list(
        user.memberships.filter(organisation__is_active=True)
        .order_by("organisation__name")
        .values_list("organisation_id", "role", "organisation__kind", "organisation__name")
    )
    user._convergence_roles = (_current_generation, rows)
    return rows


def memberships_by_organisation(user) -> dict[int, tuple[str, str]]:
    """{organisation id: (role, organisation kind)} for the user's active organisations (cached)."""
    return {org_id: (role, kind) for org_id, role, kind, _name in membership_rows(user)}


def role_in(user, organisation) -> str | None:
    """The user's role in the organisation (object or id), or None."""
    if user is None or not user.is_authenticated or organisation is None:
        return None
    org_id = organisation if isinstance(organisation, int) else organisation.pk
    entry = memberships_by_organisation(user).get(org_id)
    return entry[0] if entry else None


def organisation_of(obj):
    """The organisation an object belongs to (None for agency-wide objects: campaigns,
    referentials). Tenant models say it themselves through an ``owning_organisation`` property,
    so this module needs no knowledge of the apps above it."""
    from .models import Invitation, Membership, Organisation

    if obj is None:
        return None
    if isinstance(obj, Organisation):
        return obj
    if isinstance(obj, Membership | Invitation):
        return obj.organisation
    if hasattr(obj, "owning_organisation"):
        return obj.owning_organisation
    return getattr(obj, "organisation", None)


def assignable_roles(user, organisation) -> list[str]:
    """Roles the user may grant in the organisation: those of its kind up to their own rank."""
    role = role_in(user, organisation)
    if role not in ACCOUNT_MANAGER_ROLES:
        return []
    return [r for r in ROLES_BY_KIND[organisation.kind] if ROLE_RANK[r] <= ROLE_RANK[role]]


# --- Predicates on an organisation (or any object, through `organisation_of`) -------------------


def _organisation_key(obj):
    """The organisation (or its id, when the object carries it without a query) for `role_in`:
    checking a permission on each membership of a page costs no query per row."""
    from .models import Invitation, Membership

    if isinstance(obj, Membership | Invitation):
        return obj.organisation_id
    return organisation_of(obj)


@rules.predicate
def is_member(user, obj) -> bool:
    return role_in(user, _organisation_key(obj)) is not None


@rules.predicate
def manages_accounts(user, obj) -> bool:
    return role_in(user, _organisation_key(obj)) in ACCOUNT_MANAGER_ROLES


@rules.predicate
def is_agency_member(user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and any(kind == OrganisationKind.AGENCY for _, kind in memberships_by_organisation(user).values())
    )


@rules.predicate
def is_agency_analyst(user) -> bool:
    return (
        user is not None
        and user.is_authenticated
        and any(
            kind == OrganisationKind.AGENCY and role in AGENCY_REVIEWER_ROLES
            for role, kind in memberships_by_organisation(user).values()
        )
    )


@rules.predicate
def is_declarant_member(user, obj) -> bool:
    """Member of a vendor, ARS or GRADeS (the organisations that declare subjects)."""
    organisation = organisation_of(obj)
    return organisation is not None and not organisation.is_agency and is_member(user, organisation)


@rules.predicate
def is_own_membership(user, membership) -> bool:
    return membership is not None and user.is_authenticated and membership.user_id == user.pk


@rules.predicate
def outranks_or_equals(user, membership) -> bool:
    """The user's role ranks at least as high as the membership's (a représentant cannot touch a
    mandataire)."""
    role = role_in(user, membership.organisation_id)
    return role is not None and ROLE_RANK.get(role, 0) >= ROLE_RANK.get(membership.role, 0)


@rules.predicate
def is_agency_organisation(user, obj) -> bool:
    """The object's organisation is the national agency (pass the acting organisation: a
    person who belongs to the agency and to a vendor reads agency pages only acting for it)."""
    organisation = organisation_of(obj)
    return organisation is not None and organisation.is_agency


acts_for_agency = is_agency_organisation & is_member

# An analyst or administrator of the agency, acting for it: who reviews, publishes, imports for
# other organisations and instructs referencing dossiers.
acts_as_agency_analyst = acts_for_agency & is_agency_analyst


@dataclass(frozen=True)
class ActingOn:
    """An object as seen by the organisation a request acts for: the object of permissions that
    depend on both (who writes in an axis's thread, who records a commission's opinion). For the
    predicates above, the organisation that decides is the acting one."""

    organisation: Any
    target: Any

    @property
    def owning_organisation(self) -> Any:
        return self.organisation


# Organisations
rules.add_perm("organisations.view_organisation", is_member | is_agency_member)
rules.add_perm("organisations.list_organisations", acts_for_agency)
rules.add_perm("organisations.add_organisation", is_agency_analyst)
rules.add_perm("organisations.change_organisation", manages_accounts)
rules.add_perm("organisations.manage_members", manages_accounts)
# Whether the new role may be granted (never above one's own rank, never raising oneself) depends
# on the role asked for: `services.membership_change_role` decides that part.
rules.add_perm("organisations.change_membership", is_own_membership | (manages_accounts & outranks_or_equals))
rules.add_perm("organisations.remove_membership", is_own_membership | (manages_accounts & outranks_or_equals))
rules.add_perm("organisations.view_audit_log", manages_accounts | acts_for_agency)
rules.add_perm("organisations.view_security_events", acts_for_agency)


def require_perm(user, perm: str, obj=None, *, message: object = None) -> None:
    """Raise PermissionDenied unless the user has the permission (services, and views that have
    no service). `message` is what the 403 page says (default: a generic sentence)."""
    if user is None or not user.has_perm(perm, obj):
        raise PermissionDenied(message or _("You do not have the permission to do this."))
