"""Who may import datasets (see organisations.rules for the role predicates)."""

from __future__ import annotations

import rules

from convergence.organisations.rules import is_agency_analyst

rules.add_perm("exchange.import_dataset", is_agency_analyst)
