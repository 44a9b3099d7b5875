"""Writes on the catalog: declaring, changing and retiring products and regional services.

Every write goes through these functions (views, API, importers, demo): they check the service
type / product category code against the current published referential, and that the acting
organisation may declare that kind of subject, so the rule lives in one place.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation
from convergence.referential.models import Referential

from .enums import SubjectKind, SubjectStatus
from .models import Subject
from .selectors import current_referential, typology_codes

# Which kind of subject each kind of organisation declares.
KIND_BY_ORGANISATION = {
    OrganisationKind.VENDOR: SubjectKind.PRODUCT,
    OrganisationKind.ARS: SubjectKind.SERVICE,
    OrganisationKind.GRADES: SubjectKind.SERVICE,
}

# Fields a declarant may change after creation (kind and organisation never change).
EDITABLE_FIELDS = (
    "name",
    "type_or_category",
    "status",
    "version",
    "product_reference",
    "description",
    "code",
)


def subject_kind_for(organisation: Organisation) -> str | None:
    return KIND_BY_ORGANISATION.get(organisation.kind)  # type: ignore[call-overload]


def _check_type_or_category(*, kind: str, code: str, referential: Referential | None) -> None:
    if referential is None:
        raise ValidationError(
            {"type_or_category": _("No published referential yet: ask the agency to publish one.")}
        )
    known = typology_codes(referential=referential, kind=kind)
    if code not in known:
        if kind == SubjectKind.SERVICE:
            message = _('Unknown service type "%(code)s" in %(referential)s; known types: %(known)s.')
        else:
            message = _(
                'Unknown product category "%(code)s" in %(referential)s; known categories: %(known)s.'
            )
        raise ValidationError(
            {
                "type_or_category": message
                % {"code": code, "referential": referential.code, "known": ", ".join(sorted(known))}
            }
        )


def _unique_code(base: str) -> str:
    """A free subject code derived from `base` (codes are global, stable identifiers)."""
    base = (slugify(base) or "subject")[:90]
    taken = set(Subject.objects.filter(code__startswith=base).values_list("code", flat=True))
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


@transaction.atomic
def subject_create(
    *,
    organisation: Organisation,
    name: str,
    type_or_category: str,
    status: str = SubjectStatus.ACTIVE,
    code: str = "",
    version: str = "",
    product_reference: str = "",
    description: str = "",
    region: str = "",
) -> Subject:
    """Declare a product (vendor) or a regional service (ARS, GRADeS).

    A service belongs to its organisation's region; a product has no region of its own.
    """
    kind = subject_kind_for(organisation)
    if kind is None:
        raise ValidationError(_("Only vendors declare products and only ARS or GRADeS declare services."))
    _check_type_or_category(kind=kind, code=type_or_category, referential=current_referential())
    if kind == SubjectKind.SERVICE:
        region = organisation.region
    else:
        region = ""
        version = version.strip()
    if code:
        if Subject.objects.filter(code=code).exists():
            raise ValidationError({"code": _('The code "%(code)s" is already used.') % {"code": code}})
    else:
        code = _unique_code(
            f"{organisation.code}-{name}-{version}" if version else f"{organisation.code}-{name}"
        )
    subject = Subject(
        code=code,
        kind=kind,
        name=name.strip(),
        organisation=organisation,
        type_or_category=type_or_category,
        status=status,
        region=region,
        version=version,
        product_reference=product_reference.strip() if kind == SubjectKind.PRODUCT else "",
        description=description,
    )
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_update(*, subject: Subject, **changes: str) -> Subject:
    """Change a subject's declaration; unknown fields are refused rather than ignored."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    # Lock the row so that two concurrent edits do not interleave their checks.
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if "type_or_category" in changes and changes["type_or_category"] != subject.type_or_category:
        _check_type_or_category(
            kind=subject.kind, code=changes["type_or_category"], referential=current_referential()
        )
    if (
        "code" in changes
        and changes["code"] != subject.code
        and Subject.objects.filter(code=changes["code"]).exclude(pk=subject.pk).exists()
    ):
        raise ValidationError({"code": _('The code "%(code)s" is already used.') % {"code": changes["code"]}})
    if subject.kind == SubjectKind.SERVICE:
        changes.pop("product_reference", None)
        changes.pop("version", None)
    for field, value in changes.items():
        setattr(subject, field, value.strip() if field in {"name", "version", "product_reference"} else value)
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_retire(*, subject: Subject) -> Subject:
    """Retire a subject: kept with its history and past assessments, no longer assessed."""
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.status != SubjectStatus.RETIRED:
        subject.status = SubjectStatus.RETIRED
        subject.save(update_fields=["status", "updated_at"])
    return subject


@transaction.atomic
def subject_duplicate_as_variant(*, subject: Subject, platform: str) -> Subject:
    """Declare a platform variant of a product ("X iOS Mobile" next to "X Site Web").

    A product whose maturity differs by platform is assessed as several products: the variant
    copies the declaration, is named after the platform, and starts its own history.
    """
    platform = platform.strip()
    if not platform:
        raise ValidationError({"platform": _("Give the platform of the variant (e.g. iOS, Web).")})
    if subject.kind != SubjectKind.PRODUCT:
        raise ValidationError(_("Only products have platform variants."))
    name = f"{subject.name} {platform}"
    if Subject.objects.filter(organisation=subject.organisation, name=name, version=subject.version).exists():
        raise ValidationError({"platform": _('"%(name)s" is already declared.') % {"name": name}})
    variant = Subject(
        code=_unique_code(f"{subject.code}-{platform}"),
        kind=subject.kind,
        name=name,
        organisation=subject.organisation,
        type_or_category=subject.type_or_category,
        status=subject.status,
        version=subject.version,
        product_reference=subject.product_reference,
        description=subject.description,
    )
    variant.full_clean()
    variant.save()
    return variant
