"""Who may read and change a product or a regional service (see organisations.rules for the
role predicates and the table of every permission)."""

from __future__ import annotations

import rules

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.rules import (
    is_agency_member,
    is_declarant_member,
    is_member,
    manages_accounts,
    memberships_by_organisation,
)

from .enums import SubjectKind


def subject_of(obj):
    """The subject an object is about (a subject, an assessment, an answer...), or None."""
    return getattr(obj, "owning_subject", None) if obj is not None else None


@rules.predicate
def is_regional_reader(user, obj) -> bool:
    """Member of an ARS or GRADeS of the region of a regional service."""
    subject = subject_of(obj)
    if not user.is_authenticated:
        return False
    if subject is None or subject.kind != SubjectKind.SERVICE or not subject.region:
        return False
    from convergence.organisations.models import Organisation

    org_ids = list(memberships_by_organisation(user))
    return Organisation.objects.filter(
        pk__in=org_ids, kind__in=[OrganisationKind.ARS, OrganisationKind.GRADES], region=subject.region
    ).exists()


can_view_subject = is_member | is_agency_member | is_regional_reader
can_change_subject = is_declarant_member

rules.add_perm("catalog.view_subject", can_view_subject)
rules.add_perm("catalog.add_subject", is_declarant_member)
rules.add_perm("catalog.change_subject", can_change_subject)
rules.add_perm("catalog.delete_subject", is_declarant_member & manages_accounts)
