"""Who may import datasets for every organisation (see organisations.rules for the role
predicates). Any member imports its own organisation's data; the permission below is the
agency's import of whole campaigns, checked on the acting organisation."""

from __future__ import annotations

import rules

from convergence.organisations.rules import acts_as_agency_analyst

rules.add_perm("exchange.import_dataset", acts_as_agency_analyst)
