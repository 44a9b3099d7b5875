"""Writes on the catalog: declaring, changing and retiring products and regional services.

Every write goes through these functions (views, API, demo): they take the acting user and
check their permission (`catalog.rules`), then the record rules (`catalog.checks`, which the bulk
importer calls too) against the current published referential, so each rule lives in one place.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from convergence.lib.checks import raise_if_any
from convergence.organisations.models import Organisation, User
from convergence.organisations.rules import require_perm
from convergence.referential.models import Referential

from . import checks
from .enums import SubjectKind, SubjectStatus
from .models import Subject
from .selectors import current_referential, typology_codes

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
    """The kind of subject the organisation declares (None: the agency declares nothing)."""
    return checks.subject_kind_for(organisation.kind)


def _known_codes(kind: str, referential: Referential | None) -> set[str] | None:
    return None if referential is None else typology_codes(referential=referential, kind=kind)


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
    actor: User,
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
    The actor needs `catalog.add_subject` on the organisation.
    """
    require_perm(actor, "catalog.add_subject", organisation)
    kind = subject_kind_for(organisation)
    if kind is None:
        raise ValidationError(str(checks.DECLARES_NOTHING))
    if kind == SubjectKind.SERVICE:
        region = organisation.region
        version = product_reference = ""
    else:
        region = ""
        version = version.strip()
    referential = current_referential()
    raise_if_any(
        checks.subject_problems(
            kind=kind,
            organisation_kind=organisation.kind,
            name=name,
            type_or_category=type_or_category,
            known_codes=_known_codes(kind, referential),
            referential=referential.code if referential else "",
            status=status,
            region=region,
            organisation_region=organisation.region,
            organisation=organisation.name,
            code=code or None,
            version=version,
            product_reference=product_reference,
        )
    )
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
def subject_update(*, actor: User, subject: Subject, **changes: str) -> Subject:
    """Change a subject's declaration (`catalog.change_subject`); unknown fields are refused
    rather than ignored."""
    require_perm(actor, "catalog.change_subject", subject)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    # Lock the row so that two concurrent edits do not interleave their checks.
    subject = (
        Subject.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=subject.pk)
    )
    if subject.kind == SubjectKind.SERVICE:
        changes.pop("product_reference", None)
        changes.pop("version", None)
    after = {field: changes.get(field, getattr(subject, field)) for field in EDITABLE_FIELDS}
    if after["type_or_category"] == subject.type_or_category:
        # A code of an older edition stays valid on a subject that keeps it.
        known: set[str] | None = {subject.type_or_category}
        referential_code = ""
    else:
        referential = current_referential()
        known = _known_codes(subject.kind, referential)
        referential_code = referential.code if referential else ""
    raise_if_any(
        checks.subject_problems(
            kind=subject.kind,
            organisation_kind=subject.organisation.kind,
            name=after["name"],
            type_or_category=after["type_or_category"],
            known_codes=known,
            referential=referential_code,
            status=after["status"],
            region=subject.region,
            organisation_region=subject.organisation.region,
            organisation=subject.organisation.name,
            code=after["code"] if "code" in changes else None,
            version=after["version"],
            product_reference=after["product_reference"],
        )
    )
    if (
        "code" in changes
        and changes["code"] != subject.code
        and Subject.objects.filter(code=changes["code"]).exclude(pk=subject.pk).exists()
    ):
        raise ValidationError({"code": _('The code "%(code)s" is already used.') % {"code": changes["code"]}})
    for field, value in changes.items():
        setattr(subject, field, value.strip() if field in {"name", "version", "product_reference"} else value)
    subject.full_clean()
    subject.save()
    return subject


@transaction.atomic
def subject_retire(*, actor: User, subject: Subject) -> Subject:
    """Retire a subject (`catalog.delete_subject`: its organisation's account managers): kept
    with its history and past assessments, no longer assessed."""
    require_perm(actor, "catalog.delete_subject", subject)
    return _subject_set_status(subject, SubjectStatus.RETIRED, reason=gettext_noop("Retired"))


@transaction.atomic
def subject_reactivate(*, actor: User, subject: Subject) -> Subject:
    """Bring a retired subject back as active (`catalog.delete_subject`, like retiring it)."""
    require_perm(actor, "catalog.delete_subject", subject)
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.status != SubjectStatus.RETIRED:
        raise ValidationError({"status": _("Only a retired product or service can be reactivated.")})
    return _subject_set_status(subject, SubjectStatus.ACTIVE, reason=gettext_noop("Reactivated"))


def _subject_set_status(subject: Subject, status: str, *, reason: str) -> Subject:
    """The history record and the audit entry say why (`reason`, stored in English and translated
    where it is shown), so that the change reads as what it is even where there is no earlier
    record to compare it with (a subject imported in bulk has none)."""
    subject = Subject.objects.select_for_update().get(pk=subject.pk)
    if subject.status != status:
        subject.status = status
        subject._change_reason = reason  # type: ignore[attr-defined]  # django-simple-history
        subject.save(update_fields=["status", "updated_at"])
    return subject


@transaction.atomic
def subject_duplicate_as_variant(*, actor: User, subject: Subject, platform: str) -> Subject:
    """Declare a platform variant of a product ("X iOS Mobile" next to "X Site Web").

    A product whose maturity differs by platform is assessed as several products: the variant
    copies the declaration, is named after the platform, and starts its own history.
    The actor needs `catalog.add_subject` on the product's organisation.
    """
    require_perm(actor, "catalog.add_subject", subject.organisation)
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
