"""Who may read and publish reports (see organisations.rules for the role predicates)."""

from __future__ import annotations

import rules

from convergence.organisations.rules import is_agency_analyst, is_agency_member, is_member

rules.add_perm("analytics.view_campaign_report", is_agency_member)
rules.add_perm("analytics.view_organisation_report", is_member | is_agency_member)
rules.add_perm("analytics.publish_report", is_agency_analyst)
