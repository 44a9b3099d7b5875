"""Who may read and change referential editions (see organisations.rules for the role
predicates)."""

from __future__ import annotations

import rules

from convergence.organisations.rules import is_agency_analyst, is_agency_member


@rules.predicate
def referential_is_published(user, referential) -> bool:
    return referential is not None and referential.is_published


rules.add_perm("referential.view_referential", referential_is_published | is_agency_member)
rules.add_perm("referential.change_referential", is_agency_analyst)
