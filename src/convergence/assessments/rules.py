"""Who may read, fill in, submit and review an assessment, and follow and manage campaigns (see
organisations.rules for the role predicates and the table of every permission).

Where each is checked:

- `view_assessment` / `view_evidence`: the read views, after the selector's lookup (which
  answers 404 outside the acting organisation's visibility);
- `change_assessment`, `add_evidence`, `delete_evidence`, `submit_assessment`,
  `review_assessment` (validate, return): the services of `assessments.services`; the review
  pages (queue, review page) check `review_assessment` too;
- `view_campaign_progress`: the campaign pages; `manage_campaign`: the services of
  `assessments.campaigns` (and the campaign form pages).

Whether the *state* allows a write (campaign open, assessment editable) is not a permission:
see `assessments.checks`.
"""

from __future__ import annotations

import rules

from convergence.catalog.rules import can_change_subject, can_view_subject
from convergence.organisations.rules import is_agency_analyst, is_agency_member

rules.add_perm("assessments.view_assessment", can_view_subject)
rules.add_perm("assessments.change_assessment", can_change_subject)
rules.add_perm("assessments.submit_assessment", can_change_subject)
rules.add_perm("assessments.review_assessment", is_agency_analyst)
rules.add_perm("assessments.view_evidence", can_view_subject)
rules.add_perm("assessments.add_evidence", can_change_subject)
rules.add_perm("assessments.delete_evidence", can_change_subject)
rules.add_perm("assessments.view_campaign_progress", is_agency_member)
rules.add_perm("assessments.manage_campaign", is_agency_analyst)
