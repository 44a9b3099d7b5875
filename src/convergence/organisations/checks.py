"""The rules an organisation's record obeys: pure functions, plain values in, problems out.

Every path that writes an organisation calls them — the services of the web forms
(`services.organisation_create` / `organisation_update`) and the bulk dataset importer — so a
rule is written once. They read nothing from the database: what already exists is handed in by
the caller (the importer reads it for all its records in one query, a service for one record),
which keeps them usable row by row on a bulk path.

Each function returns a list of `convergence.lib.checks.Problem` located on the field it is about
(`kind`, `code`, `name`, `region`, `siren`, the model's field names); an empty list means valid.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from convergence.lib.checks import Problem, max_length
from convergence.lib.regions import REGIONS
from convergence.lib.siren import is_valid_siren

from .enums import OrganisationKind
from .models import Organisation

# The kinds of organisation that belong to one region and of which a region has at most one.
REGIONAL_KINDS = frozenset({OrganisationKind.ARS.value, OrganisationKind.GRADES.value})

# Letters, digits, '-' and '_' (Django's slug), the identifier used in files and URLs.
CODE_RE = re.compile(r"^[-a-zA-Z0-9_]+\Z")

UNKNOWN_KIND = _("Unknown organisation kind “%(value)s”; known kinds: %(known)s.")
NAME_REQUIRED = _("Give the organisation's name.")
TEXT_TOO_LONG = _("At most %(limit)s characters (this one has %(length)s).")
BAD_CODE = _("A code is made of letters, digits, '-' and '_', got “%(value)s”.")
REGION_REQUIRED = _("An ARS or a GRADeS belongs to one region: choose it.")
UNKNOWN_REGION = _("Unknown region “%(value)s”; known regions: %(known)s.")
AGENCY_HAS_NO_REGION = _("The national agency has no region.")
SIREN_REQUIRED = _("A software vendor needs its SIREN.")
SIREN_NOT_VENDOR = _("Only software vendors have a SIREN here.")
SIREN_INVALID = _("%(value)s is not a valid SIREN (9 digits with a valid check digit).")
SECOND_AGENCY = _("There is already a national agency.")
SECOND_REGIONAL = _("This region already has an organisation of this kind.")


def normalise_siren(siren: str | None) -> str:
    """A SIREN as stored: the digits typed, without the spaces people group them with."""
    return (siren or "").replace(" ", "")


def text_problems(model: type, field: str, value: str, *, required: Problem | None = None) -> list[Problem]:
    """A text field's rules: present when `required` is given (the problem to report), and no
    longer than the model field allows."""
    value = value or ""
    if not value.strip():
        return [required] if required is not None else []
    limit = max_length(model, field)
    if len(value) > limit:
        return [Problem(field, TEXT_TOO_LONG, {"limit": limit, "length": len(value)})]
    return []


def code_problems(model: type, code: str) -> list[Problem]:
    """A stable identifier (`code`): letters, digits, '-' and '_', within the model's length."""
    if not CODE_RE.match(code or ""):
        return [Problem("code", BAD_CODE, {"value": code})]
    return text_problems(model, "code", code)


def region_problems(*, kind: str, region: str) -> list[Problem]:
    """`region`: required for an ARS or a GRADeS, optional for a vendor (the region its products
    count in), absent for the agency; when given, a code of the national nomenclature."""
    region = region or ""
    if not region:
        return [Problem("region", REGION_REQUIRED)] if kind in REGIONAL_KINDS else []
    if kind == OrganisationKind.AGENCY:
        return [Problem("region", AGENCY_HAS_NO_REGION)]
    if region not in REGIONS:
        return [Problem("region", UNKNOWN_REGION, {"value": region, "known": ", ".join(REGIONS)})]
    return []


def siren_problems(*, kind: str, siren: str) -> list[Problem]:
    """`siren` (already normalised, see `normalise_siren`): required and valid (9 digits, Luhn
    check digit) for a vendor; refused for any other kind."""
    siren = siren or ""
    if kind != OrganisationKind.VENDOR:
        return [Problem("siren", SIREN_NOT_VENDOR)] if siren else []
    if not siren:
        return [Problem("siren", SIREN_REQUIRED)]
    if not is_valid_siren(siren):
        return [Problem("siren", SIREN_INVALID, {"value": siren})]
    return []


def organisation_problems(
    *, kind: str, name: str, region: str = "", siren: str = "", code: str | None = None
) -> list[Problem]:
    """Everything wrong with one organisation's record, taken alone.

    - `kind`: one of `OrganisationKind` (when unknown, the kind-dependent rules are skipped);
    - `name`: required, at most `Organisation.name`'s length;
    - `code`: checked only when given (not None): see `code_problems`;
    - `region`: see `region_problems`; `siren`: see `siren_problems` (pass it normalised).

    Uniqueness against the other organisations is `organisation_uniqueness_problems`.
    """
    problems = text_problems(Organisation, "name", name, required=Problem("name", NAME_REQUIRED))
    if code is not None:
        problems += code_problems(Organisation, code)
    if kind not in OrganisationKind.values:
        known = ", ".join(OrganisationKind.values)
        return [Problem("kind", UNKNOWN_KIND, {"value": kind, "known": known}), *problems]
    problems += region_problems(kind=kind, region=region)
    problems += siren_problems(kind=kind, siren=siren)
    return problems


def organisation_uniqueness_problems(
    *, kind: str, region: str = "", existing: Iterable[tuple[str, str]]
) -> list[Problem]:
    """The rules between organisations: one national agency; at most one ARS and one GRADeS
    per region.

    `existing` is the `(kind, region)` of the organisations the new or changed record competes
    with, *not including itself*: every agency (active or not), and the active ARS and GRADeS
    (an inactive one has been replaced). `existing_organisation_slots` reads them in one
    query; the bulk importer adds the records it has accepted so far.
    """
    existing = set(existing)
    if kind == OrganisationKind.AGENCY:
        if any(other_kind == OrganisationKind.AGENCY for other_kind, _region in existing):
            return [Problem("kind", SECOND_AGENCY)]
    elif kind in REGIONAL_KINDS and region and (kind, region) in existing:
        return [Problem("region", SECOND_REGIONAL)]
    return []
