"""Who may read, fill in, submit and review an assessment, and follow and manage campaigns (see
organisations.rules for the role predicates and the table of every permission).

Where each is checked:

- `view_assessment` / `view_evidence`: the read views, after the selector's lookup (which
  answers 404 outside the acting organisation's visibility);
- `change_assessment`, `add_evidence`, `delete_evidence`, `submit_assessment`: the services of
  `assessments.services`;
- `review_assessment` (validate, return, bulk validation, the queue and the review page),
  `assign_reviewer`, `comment_axis`: on the *acting organisation* (see "Review" below), by the
  services and the review pages alike;
- `view_campaign_progress`: the campaign pages; `manage_campaign`: the services of
  `assessments.campaigns` (and the campaign form pages).

Whether the *state* allows a write (campaign open, assessment editable) is not a permission:
see `assessments.checks`.
"""

from __future__ import annotations

import rules

from convergence.catalog.rules import can_change_subject, can_view_subject
from convergence.organisations.rules import (
    ActingOn,
    acts_as_agency_analyst,
    is_agency_analyst,
    is_agency_member,
    organisation_of,
    role_in,
)

rules.add_perm("assessments.view_assessment", can_view_subject)
rules.add_perm("assessments.change_assessment", can_change_subject)
rules.add_perm("assessments.submit_assessment", can_change_subject)
# assessments.review_assessment: see "Review" below (on the acting organisation).
rules.add_perm("assessments.view_evidence", can_view_subject)
rules.add_perm("assessments.add_evidence", can_change_subject)
rules.add_perm("assessments.delete_evidence", can_change_subject)
rules.add_perm("assessments.view_campaign_progress", is_agency_member)
rules.add_perm("assessments.manage_campaign", is_agency_analyst)


# --- Review (the object is the acting organisation) ---------------------------------------------------
#
# Reviewing happens only while acting for the agency: a person who is an agency analyst and also a
# vendor's member reviews nothing while acting for the vendor. The rule is a predicate on the
# acting organisation, checked the same way by the services (which take it as `organisation`),
# the review pages and the templates:
#
#   require_perm(user, "assessments.review_assessment", acting_organisation)
#   require_perm(user, "assessments.assign_reviewer", acting_organisation)
#   require_perm(user, "assessments.comment_axis", ActingOn(acting_organisation, assessment))


@rules.predicate
def comments_as_reviewer(user, obj) -> bool:
    return isinstance(obj, ActingOn) and acts_as_agency_analyst.test(user, obj.organisation)


@rules.predicate
def comments_as_declarant(user, obj) -> bool:
    """A member of the assessment's own organisation, acting for it (not the agency, not a
    region reading another body's service)."""
    if not isinstance(obj, ActingOn) or obj.organisation is None or obj.target is None:
        return False
    owner = organisation_of(obj.target)
    return (
        owner is not None
        and owner.pk == obj.organisation.pk
        and not owner.is_agency
        and role_in(user, owner) is not None
    )


rules.add_perm("assessments.review_assessment", acts_as_agency_analyst)
rules.add_perm("assessments.assign_reviewer", acts_as_agency_analyst)
rules.add_perm("assessments.comment_axis", comments_as_reviewer | comments_as_declarant)
