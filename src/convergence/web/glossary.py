"""The glossary of the domain's terms (the help page /glossaire/): one entry per term, with the
anchor that `{% glossary_link "term" %}` points to. The codes of the current referential (axes,
service types, product categories) are data: the page lists them from the referential itself."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Term:
    slug: str  # the anchor: /glossaire/#<slug>
    label: str | Promise
    definition: str | Promise


TERMS: tuple[Term, ...] = (
    Term(
        "referential-edition",
        _("Referential edition"),
        _(
            "A version of the national e-health doctrine turned into assessable axes (2019, 2022, "
            "2023, 2025...). Each campaign uses one edition; its axes, levels and expected levels "
            "are those the answers are read against."
        ),
    ),
    Term(
        "axis",
        _("Axis"),
        _(
            "One theme of the doctrine that is assessed on its own (INS, MSSanté, security...), "
            "identified by a short code. Which axes apply depends on the type of service or the "
            "product category."
        ),
    ),
    Term(
        "maturity-level",
        _("Maturity level"),
        _(
            "The answer on an axis, from 0 to 3: 0 not addressed; 1 planned or partly built; 2 built "
            "and compliant with the current referential; 3 compliant and in routine production use. "
            "Each edition describes every level of every axis."
        ),
    ),
    Term(
        "not-applicable",
        _("Not applicable"),
        _(
            "An axis that does not concern the product or service, declared with a reason. It is "
            "not a level and is never counted as 0."
        ),
    ),
    Term(
        "expected-level",
        _("Expected level"),
        _(
            "The level the doctrine expects on an axis for a given type of service or product "
            "category. An axis is reached when the declared level is at least the expected one."
        ),
    ),
    Term(
        "trajectory",
        _("Convergence trajectory"),
        _("The levels a declarant commits to reach on an axis, and by when: a series of milestones."),
    ),
    Term(
        "milestone",
        _("Milestone"),
        _(
            "One step of a trajectory: a target level and its date. A milestone whose date has "
            "passed without the level being reached is late."
        ),
    ),
    Term(
        "blocker",
        _("Blocker"),
        _(
            "What keeps a product or service from reaching the expected level (a national calendar "
            "not known, a migration with no plan...), chosen from the referential's categories. "
            "Blockers are counted nationally to spot common obstacles."
        ),
    ),
    Term(
        "campaign",
        _("Campaign"),
        _(
            "A period (usually a semester) during which every active product or service in its scope "
            "is assessed against one referential edition. Opening it creates a draft assessment for "
            "each; a product declared later is added when the agency updates the campaign."
        ),
    ),
    Term(
        "assessment",
        _("Assessment"),
        _(
            "The answers of one product or service in one campaign: a draft, then submitted, then "
            "validated by the agency or returned for correction with a reason."
        ),
    ),
    Term(
        "service-type",
        _("Type of service"),
        _(
            "The kind of a regional digital service (teleconsultation, ROR, e-parcours...), from "
            "the referential's typology, grouped in families. It decides which axes apply and at "
            "which expected level."
        ),
    ),
    Term(
        "service-family",
        _("Service family"),
        _("A group of types of service (telehealth, reference data, coordination, exchange...)."),
    ),
    Term(
        "common-core",
        _("Common core"),
        _(
            "The types of service that every region is expected to offer (tronc commun); the others "
            "are specific to a region."
        ),
    ),
    Term(
        "product-category",
        _("Product category"),
        _(
            "The kind of a vendor's product (patient record software, pharmacy software...), from the "
            "referential. It decides which axes apply and at which expected level."
        ),
    ),
    Term(
        "platform-variant",
        _("Platform variant"),
        _(
            "A product whose maturity differs by platform is declared once per platform "
            "(“X iOS Mobile”, “X Web”), each assessed on its own."
        ),
    ),
    Term(
        "subject-status",
        _("Status of a product or service"),
        _(
            "Active (assessed), in deployment, technical (infrastructure with no end users) or "
            "retired (kept with its history, no longer assessed). Only active ones are assessed."
        ),
    ),
    Term(
        "siren",
        _("SIREN"),
        _("The 9-digit French company number of a vendor, checked with its Luhn key."),
    ),
    Term(
        "ars-grades",
        _("ARS and GRADeS"),
        _(
            "The regional health agency (ARS) and its e-health operator (GRADeS): one of each per "
            "region. They declare and assess the region's digital services."
        ),
    ),
    Term(
        "roles",
        _("Roles"),
        _(
            "In a vendor: mandataire (legal representative, manages accounts), représentant (may "
            "manage accounts) and salarié (contributes). In a region or the agency: administrator "
            "and contributor or analyst."
        ),
    ),
    Term(
        "acting-organisation",
        _("Acting organisation"),
        _(
            "The organisation a person works for at the moment, chosen in the header when they "
            "belong to several: they see and change only its data."
        ),
    ),
    Term(
        "masked-cell",
        _("Masked cell (threshold K)"),
        _(
            "In a published report, a figure computed over fewer than K products or services is "
            "masked so that no one can be recognised; a masked cell does not mean zero."
        ),
    ),
)

BY_SLUG = {term.slug: term for term in TERMS}
