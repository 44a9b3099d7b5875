"""Who may read, fill in, submit and review an assessment, and manage campaigns (see
organisations.rules for the role predicates and the table of every permission)."""

from __future__ import annotations

import rules

from convergence.catalog.rules import can_change_subject, can_view_subject
from convergence.organisations.rules import is_agency_analyst

from .enums import EDITABLE_STATUSES


@rules.predicate
def assessment_is_editable(user, assessment) -> bool:
    return assessment is not None and assessment.status in EDITABLE_STATUSES


rules.add_perm("assessments.view_assessment", can_view_subject)
rules.add_perm("assessments.change_assessment", can_change_subject)
rules.add_perm("assessments.submit_assessment", can_change_subject)
rules.add_perm("assessments.review_assessment", is_agency_analyst)
rules.add_perm("assessments.view_evidence", can_view_subject)
rules.add_perm("assessments.add_evidence", can_change_subject)
rules.add_perm("assessments.delete_evidence", can_change_subject)
rules.add_perm("assessments.manage_campaign", is_agency_analyst)
