"""Who may read which figures and publish reports (see organisations.rules for the role
predicates and the table of every permission).

The object of these permissions is the *acting organisation*: a person who belongs to the agency
and to a region reads the national dashboard only while acting for the agency. What the figures
of other organisations a reader may see is decided apart, by `analytics.disclosure`.
"""

from __future__ import annotations

import rules

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.rules import (
    acts_as_agency_analyst,
    acts_for_agency,
    is_member,
    organisation_of,
)


@rules.predicate
def is_regional_organisation(user, obj) -> bool:
    organisation = organisation_of(obj)
    return organisation is not None and organisation.kind in (OrganisationKind.ARS, OrganisationKind.GRADES)


@rules.predicate
def is_vendor_organisation(user, obj) -> bool:
    organisation = organisation_of(obj)
    return organisation is not None and organisation.kind == OrganisationKind.VENDOR


# National figures of every region, unsuppressed.
rules.add_perm("analytics.view_campaign_report", acts_for_agency)
# The dashboard of the reader's own region (other organisations' cells through the disclosure rule).
rules.add_perm("analytics.view_regional_dashboard", is_regional_organisation & is_member)
# The peer benchmark of a vendor's own products.
rules.add_perm("analytics.view_benchmark", is_vendor_organisation & is_member)
rules.add_perm("analytics.publish_report", acts_as_agency_analyst)
