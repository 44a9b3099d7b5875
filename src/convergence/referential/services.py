"""Writes to the referential: import from a file, export to one, publish, retire.

A referential is loaded from a YAML file (contract, section 2; parsing and checks in
`schema.py`). The same file loaded twice changes nothing; a published edition never changes
(its history is what past campaigns were scored against); a draft is brought in line with the
new file, keeping the rows of the axes and categories that remain so that nothing that points
at them is lost.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _

from convergence.lib.checks import raise_if_any
from convergence.organisations.rules import require_perm

from .checks import answer_problems, comment_problems, consultation_dates_problems
from .enums import CommentTarget, ReferentialStatus
from .models import (
    Axis,
    AxisAction,
    AxisLevel,
    BlockerCategory,
    Consultation,
    ConsultationComment,
    Expectation,
    ProductCategory,
    Referential,
    ScaleLevel,
    ServiceFamily,
    ServiceType,
    WorkbookUpload,
)
from .schema import Document, ReferentialFileError, document_hash, referential_document_parse
from .workbook import workbook_from_document, workbook_read

__all__ = [
    "ReferentialFileError",
    "consultation_comment_add",
    "consultation_comment_answer",
    "consultation_comment_update",
    "consultation_open",
    "ReferentialImportResult",
    "load_default_referentials",
    "referential_content_hash",
    "referential_default_paths",
    "referential_document",
    "referential_document_import",
    "referential_export",
    "referential_import",
    "referential_workbook_export",
    "referential_workbook_import",
    "previous_edition_of",
    "referential_publish",
    "referential_retire",
    "referential_upload_apply",
    "referential_upload_prepare",
    "upload_document",
]

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass(frozen=True)
class ReferentialImportResult:
    referential: Referential
    outcome: Literal["created", "replaced", "unchanged"]
    axes: int
    blocker_categories: int
    service_types: int
    product_categories: int

    @property
    def summary(self) -> str:
        code = self.referential.code
        if self.outcome == "unchanged":
            return f"unchanged referential {code}"
        verb = "created" if self.outcome == "created" else "replaced draft"
        return (
            f"{verb} referential {code}: {self.axes} axes, {self.blocker_categories} blocker categories, "
            f"{self.service_types} service types, {self.product_categories} product categories"
        )


def _counts(doc: Document) -> dict[str, int]:
    return {
        "axes": len(doc["axes"]),
        "blocker_categories": len(doc["blocker_categories"]),
        "service_types": sum(len(family["types"]) for family in doc["service_families"]),
        "product_categories": len(doc["product_categories"]),
    }


def referential_import(*, source: str | bytes, actor: Any = None) -> ReferentialImportResult:
    """Load a referential file. Raises ReferentialFileError (nothing written) on any problem."""
    return referential_document_import(document=referential_document_parse(source), actor=actor)


def referential_workbook_import(*, source: bytes, actor: Any = None) -> ReferentialImportResult:
    """Load a referential workbook (contract, section 6): the same rules as a YAML file."""
    document, locate = workbook_read(source)
    try:
        return referential_document_import(document=document, actor=actor)
    except ReferentialFileError as error:
        raise ReferentialFileError([locate(problem) for problem in error.problems]) from None


def referential_workbook_export(*, referential: Referential) -> bytes:
    """The referential as an XLSX workbook; importing it gives the same content."""
    return workbook_from_document(referential_document(referential))


def _require_editor(actor: Any) -> None:
    # Commands run without a user (whoever runs them has the database); pages pass theirs.
    if actor is not None:
        require_perm(
            actor,
            "referential.change_referential",
            message=_("Only agency analysts and administrators edit referential editions."),
        )


@transaction.atomic
def referential_document_import(
    *,
    document: Document,
    actor: Any = None,
    derived_from: Referential | None = None,
    change_reason: str = "",
) -> ReferentialImportResult:
    """Write a checked canonical document (see `schema.py`) with the versioning rules of
    docs/referential.md: created, unchanged, a draft replaced, a published edition refused."""
    _require_editor(actor)
    doc = document
    new_hash = document_hash(doc)
    status = ReferentialStatus.PUBLISHED if doc.get("published_on") else ReferentialStatus.DRAFT
    existing = Referential.objects.select_for_update().filter(code=doc["code"]).first()
    if existing is not None:
        current_hash = referential_content_hash(existing)
        if current_hash == new_hash:
            if existing.content_hash != current_hash:
                Referential.objects.filter(pk=existing.pk).update(content_hash=current_hash)
            return ReferentialImportResult(referential=existing, outcome="unchanged", **_counts(doc))
        if existing.status != ReferentialStatus.DRAFT:
            raise ReferentialFileError(
                [
                    f"code: referential {doc['code']!r} is {existing.get_status_display().lower()} "
                    "and cannot change; give the new edition a new code"
                ]
            )
        referential = existing
        outcome: Literal["created", "replaced"] = "replaced"
    else:
        referential = Referential(code=doc["code"])
        outcome = "created"
    if derived_from is not None and derived_from.pk != referential.pk:
        referential.derived_from = derived_from
    if actor is not None:
        referential._history_user = actor  # type: ignore[attr-defined]
    referential._change_reason = change_reason or f"{outcome} from a file"  # type: ignore[attr-defined]
    referential.title = doc["title"]
    referential.title_en = doc.get("title_en", "")
    referential.published_on = doc.get("published_on")
    referential.status = status
    referential.scale_min = doc["scale"]["min"]
    referential.scale_max = doc["scale"]["max"]
    referential.content_hash = new_hash
    referential.save()
    try:
        _write_content(referential, doc)
    except ProtectedError as error:
        # Only a draft is rewritten; a row that answers point at must not disappear under them.
        names = sorted({str(obj) for obj in error.protected_objects})[:5]
        raise ReferentialFileError(
            [
                f"code: draft {doc['code']!r} is already used (by {', '.join(names)}); its axes or blocker "
                "categories in use cannot be removed"
            ]
        ) from None
    return ReferentialImportResult(referential=referential, outcome=outcome, **_counts(doc))


def _sync(model: type[models.Model], scope: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """Make the rows of `model` under `scope` exactly `items` (matched by code), keep matching rows."""
    existing = {row.code: row for row in model.objects.filter(**scope)}  # type: ignore[attr-defined]
    wanted = {item["code"] for item in items}
    model.objects.filter(**scope).exclude(code__in=wanted).delete()  # type: ignore[attr-defined]
    rows = {}
    for item in items:
        row = existing.get(item["code"]) or model(**scope, code=item["code"])
        for field, value in item.items():
            setattr(row, field, value)
        row.save()
        rows[item["code"]] = row
    return rows


def _write_content(referential: Referential, doc: Document) -> None:
    scale = doc["scale"]
    ScaleLevel.objects.filter(referential=referential).delete()
    ScaleLevel.objects.bulk_create(
        ScaleLevel(
            referential=referential,
            value=value,
            label=label,
            label_en=scale.get("labels_en", {}).get(value, ""),
        )
        for value, label in scale.get("labels", {}).items()
    )
    # Expectations are derived rows, rebuilt each time; rebuilding them first lets axes and
    # types be deleted without tripping over them.
    Expectation.objects.filter(referential=referential).delete()
    axes = _sync(
        Axis,
        {"referential": referential},
        [
            {
                "code": axis["code"],
                "name": axis["name"],
                "name_en": axis.get("name_en", ""),
                "group": axis.get("group", ""),
                "group_en": axis.get("group_en", ""),
                "description": axis.get("description", ""),
                "description_en": axis.get("description_en", ""),
                "position": position,
            }
            for position, axis in enumerate(doc["axes"])
        ],
    )
    AxisLevel.objects.filter(axis__referential=referential).delete()
    AxisLevel.objects.bulk_create(
        AxisLevel(
            axis=axes[axis["code"]],
            value=value,
            descriptor=descriptor,
            descriptor_en=axis.get("levels_en", {}).get(value, ""),
        )
        for axis in doc["axes"]
        for value, descriptor in axis.get("levels", {}).items()
    )
    AxisAction.objects.filter(axis__referential=referential).delete()
    AxisAction.objects.bulk_create(
        AxisAction(
            axis=axes[axis["code"]],
            value=value,
            text=text,
            text_en=axis.get("actions_en", {}).get(value, ""),
            links=axis.get("action_links", {}).get(value, []),
        )
        for axis in doc["axes"]
        for value, text in axis.get("actions", {}).items()
    )
    _sync(
        BlockerCategory,
        {"referential": referential},
        [
            {
                "code": item["code"],
                "name": item["name"],
                "name_en": item.get("name_en", ""),
                "position": position,
            }
            for position, item in enumerate(doc["blocker_categories"])
        ],
    )
    # Families first: a type may move to another family when a draft is rewritten, and type
    # codes are unique across the referential, so types are matched by code and re-attached.
    families = _sync(
        ServiceFamily,
        {"referential": referential},
        [
            {
                "code": family["code"],
                "name": family["name"],
                "name_en": family.get("name_en", ""),
                "position": p,
            }
            for p, family in enumerate(doc["service_families"])
        ],
    )
    type_items = []
    for family in doc["service_families"]:
        for position, service_type in enumerate(family["types"]):
            type_items.append(
                {
                    "code": service_type["code"],
                    "name": service_type["name"],
                    "name_en": service_type.get("name_en", ""),
                    "common_core": service_type["common_core"],
                    "position": position,
                    "family": families[family["code"]],
                }
            )
    types = _sync(ServiceType, {"referential": referential}, type_items)
    categories = _sync(
        ProductCategory,
        {"referential": referential},
        [
            {
                "code": item["code"],
                "name": item["name"],
                "name_en": item.get("name_en", ""),
                "position": position,
            }
            for position, item in enumerate(doc["product_categories"])
        ],
    )
    expectations = [
        Expectation(
            referential=referential,
            axis=axes[code],
            service_type=types[service_type["code"]],
            expected_level=level,
        )
        for family in doc["service_families"]
        for service_type in family["types"]
        for code, level in service_type["expected"].items()
    ]
    expectations += [
        Expectation(
            referential=referential,
            axis=axes[code],
            product_category=categories[category["code"]],
            expected_level=level,
        )
        for category in doc["product_categories"]
        for code, level in category["expected"].items()
    ]
    Expectation.objects.bulk_create(expectations)


def referential_document(referential: Referential) -> Document:
    """The canonical document of a stored referential (the same shape `schema.py` produces)."""
    doc: Document = {
        "format": "convergence-referential/1",
        "code": referential.code,
        "title": referential.title,
    }
    if referential.title_en:
        doc["title_en"] = referential.title_en
    if referential.published_on:
        doc["published_on"] = referential.published_on
    scale_levels = list(ScaleLevel.objects.filter(referential=referential).order_by("value"))
    scale: dict[str, Any] = {"min": referential.scale_min, "max": referential.scale_max}
    if scale_levels:
        scale["labels"] = {level.value: level.label for level in scale_levels}
    if any(level.label_en for level in scale_levels):
        scale["labels_en"] = {level.value: level.label_en for level in scale_levels if level.label_en}
    doc["scale"] = scale

    axes = list(
        Axis.objects.filter(referential=referential)
        .prefetch_related("levels", "actions")
        .order_by("position", "pk")
    )
    axis_code_by_pk = {axis.pk: axis.code for axis in axes}
    doc["axes"] = []
    for axis in axes:
        item: dict[str, Any] = {"code": axis.code, "name": axis.name}
        for field in ("name_en", "group", "group_en", "description", "description_en"):
            if getattr(axis, field):
                item[field] = getattr(axis, field)
        levels = sorted(axis.levels.all(), key=lambda level: level.value)
        if levels:
            item["levels"] = {level.value: level.descriptor for level in levels}
        if any(level.descriptor_en for level in levels):
            item["levels_en"] = {level.value: level.descriptor_en for level in levels if level.descriptor_en}
        actions = sorted(axis.actions.all(), key=lambda action: action.value)
        if actions:
            item["actions"] = {action.value: action.text for action in actions}
        if any(action.text_en for action in actions):
            item["actions_en"] = {action.value: action.text_en for action in actions if action.text_en}
        if any(action.links for action in actions):
            item["action_links"] = {action.value: list(action.links) for action in actions if action.links}
        doc["axes"].append(item)

    def named(row: Any) -> dict[str, Any]:
        item = {"code": row.code, "name": row.name}
        if row.name_en:
            item["name_en"] = row.name_en
        return item

    doc["blocker_categories"] = [
        named(row)
        for row in BlockerCategory.objects.filter(referential=referential).order_by("position", "pk")
    ]
    expected_by_type: dict[int, dict[str, int | None]] = {}
    expected_by_category: dict[int, dict[str, int | None]] = {}
    for expectation in Expectation.objects.filter(referential=referential).order_by(
        "axis__position", "axis_id"
    ):
        target = (
            expected_by_type.setdefault(expectation.service_type_id, {})
            if expectation.service_type_id
            else expected_by_category.setdefault(expectation.product_category_id, {})  # type: ignore[arg-type]
        )
        target[axis_code_by_pk[expectation.axis_id]] = expectation.expected_level
    types_by_family: dict[int, list[ServiceType]] = {}
    for service_type in ServiceType.objects.filter(referential=referential).order_by("position", "pk"):
        types_by_family.setdefault(service_type.family_id, []).append(service_type)
    doc["service_families"] = []
    for family in ServiceFamily.objects.filter(referential=referential).order_by("position", "pk"):
        item = named(family)
        item["types"] = [
            {**named(t), "common_core": t.common_core, "expected": expected_by_type.get(t.pk, {})}
            for t in types_by_family.get(family.pk, [])
        ]
        doc["service_families"].append(item)
    doc["product_categories"] = [
        {**named(category), "expected": expected_by_category.get(category.pk, {})}
        for category in ProductCategory.objects.filter(referential=referential).order_by("position", "pk")
    ]
    return doc


def referential_content_hash(referential: Referential) -> str:
    return document_hash(referential_document(referential))


class _FlowMap(dict):
    """A short map written on one line (`expected`, scale labels), as authors write them."""


class _ExportDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # the loader refuses aliases: never emit one, even for repeated values

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the shipped files are written.
        return super().increase_indent(flow, False)


_ExportDumper.add_representer(
    _FlowMap, lambda dumper, data: dumper.represent_mapping("tag:yaml.org,2002:map", data, flow_style=True)
)


def referential_export(*, referential: Referential) -> str:
    """The referential as a YAML file in the import format; importing it gives the same content."""
    doc = referential_document(referential)
    scale = doc["scale"]
    for key in ("labels", "labels_en"):
        if key in scale:
            scale[key] = _FlowMap(scale[key])
    for family in doc["service_families"]:
        for service_type in family["types"]:
            service_type["expected"] = _FlowMap(service_type["expected"])
    for category in doc["product_categories"]:
        category["expected"] = _FlowMap(category["expected"])
    header = (
        f"# Referential {referential.code}, exported by Convergence.\n"
        "# Format: convergence-referential/1 (see docs/referential.md).\n"
    )
    body = yaml.dump(
        doc,
        Dumper=_ExportDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,
    )
    return header + body


def referential_default_paths() -> list[Path]:
    """The referential files shipped with the project (the project's own wording, not official)."""
    return [DATA_DIR / "doctrine-2019.yaml", DATA_DIR / "doctrine-2023.yaml"]


def load_default_referentials() -> list[ReferentialImportResult]:
    """Import the shipped referentials; running it again changes nothing."""
    with transaction.atomic():
        return [referential_import(source=path.read_bytes()) for path in referential_default_paths()]


def previous_edition_of(referential: Referential) -> Referential | None:
    """The edition a draft follows: the one it derives from, else the latest published one."""
    if referential.derived_from_id and referential.derived_from.status != ReferentialStatus.DRAFT:  # type: ignore[union-attr]
        return referential.derived_from
    return _latest_published(referential)


@transaction.atomic
def referential_publish(
    *,
    referential: Referential,
    on: datetime.date | None = None,
    actor: Any = None,
    previous: Referential | None = None,
) -> Referential:
    """Publish a draft: from now on it is immutable and campaigns may use it. The comparison
    with the previous edition (`previous`, by default `previous_edition_of`) is recorded."""
    from .comparison import referential_compare

    _require_editor(actor)
    referential = Referential.objects.select_for_update().get(pk=referential.pk)
    if referential.status != ReferentialStatus.DRAFT:
        raise ValueError(f"referential {referential.code} is not a draft")
    if not Axis.objects.filter(referential=referential).exists():
        raise ValueError(f"referential {referential.code} has no axis")
    previous = previous or previous_edition_of(referential)
    referential.status = ReferentialStatus.PUBLISHED
    referential.published_on = on or timezone.localdate()
    referential.previous_edition = previous
    referential.publication_changes = referential_compare(previous, referential).summary() if previous else {}
    if actor is not None:
        referential._history_user = actor  # type: ignore[attr-defined]
    referential._change_reason = "published"  # type: ignore[attr-defined]
    referential.content_hash = referential_content_hash(referential)
    referential.save(
        update_fields=[
            "status",
            "published_on",
            "previous_edition",
            "publication_changes",
            "content_hash",
            "updated_at",
        ]
    )
    return referential


@transaction.atomic
def referential_retire(*, referential: Referential) -> Referential:
    """Retire a published edition: still readable, no longer offered for new campaigns."""
    referential = Referential.objects.select_for_update().get(pk=referential.pk)
    if referential.status != ReferentialStatus.PUBLISHED:
        raise ValueError(f"referential {referential.code} is not published")
    referential.status = ReferentialStatus.RETIRED
    referential.save(update_fields=["status", "updated_at"])
    return referential


# --- Workbooks uploaded in the pages -------------------------------------------------------

UPLOAD_LIFETIME = datetime.timedelta(days=1)


def _upload_document(*, content: bytes, code: str) -> tuple[Document, Any]:
    """The uploaded workbook as the draft it will become: its code, and no publication date
    (pages create and replace drafts; publishing is a separate, confirmed step)."""
    document, locate = workbook_read(content)
    document = {**document, "code": code}
    document.pop("published_on", None)
    return document, locate


def _check_upload_target(*, mode: str, code: str, target: Referential | None) -> None:
    if mode == WorkbookUpload.Mode.REPLACE:
        if target is None or target.status != ReferentialStatus.DRAFT:
            raise ReferentialFileError([_("Only a draft can be replaced by a workbook.")])
    elif Referential.objects.filter(code=code).exists():
        raise ReferentialFileError(
            [
                _(
                    "An edition with the code %(code)s already exists: give the new draft another code, "
                    "or load the workbook over that draft."
                )
                % {"code": code}
            ]
        )


@transaction.atomic
def referential_upload_prepare(
    *,
    actor: Any,
    content: bytes,
    file_name: str,
    mode: str,
    target: Referential | None = None,
    base: Referential | None = None,
    code: str = "",
) -> WorkbookUpload:
    """Check an uploaded workbook and keep it for its preview; ReferentialFileError (with
    sheet, row and column) when it cannot become a draft. Nothing of the referential changes."""
    _require_editor(actor)
    if mode == WorkbookUpload.Mode.REPLACE and target is not None:
        code = target.code
    elif not code:
        code = workbook_read(content)[0]["code"]
    _check_upload_target(mode=mode, code=code, target=target)
    _upload_document(content=content, code=code)  # raises with located problems
    WorkbookUpload.objects.filter(created_at__lt=timezone.now() - UPLOAD_LIFETIME).delete()
    return WorkbookUpload.objects.create(
        created_by=actor,
        file_name=file_name[:255],
        content=content,
        mode=mode,
        code=code,
        target=target if mode == WorkbookUpload.Mode.REPLACE else None,
        base=target if mode == WorkbookUpload.Mode.REPLACE else base,
    )


def upload_document(upload: WorkbookUpload) -> Document:
    return _upload_document(content=bytes(upload.content), code=upload.code)[0]


@transaction.atomic
def referential_upload_apply(*, actor: Any, upload: WorkbookUpload) -> ReferentialImportResult:
    """Write a previewed workbook as a new draft or over its draft (the upload is then gone)."""
    _require_editor(actor)
    upload = WorkbookUpload.objects.select_for_update().get(pk=upload.pk)
    target = Referential.objects.filter(pk=upload.target_id).first() if upload.target_id else None
    _check_upload_target(mode=upload.mode, code=upload.code, target=target)
    document, locate = _upload_document(content=bytes(upload.content), code=upload.code)
    try:
        result = referential_document_import(
            document=document,
            actor=actor,
            derived_from=upload.base if upload.mode == WorkbookUpload.Mode.NEW else None,
            change_reason=f"workbook {upload.file_name} loaded as {upload.get_mode_display()}",
        )
    except ReferentialFileError as error:
        raise ReferentialFileError([locate(problem) for problem in error.problems]) from None
    upload.delete()
    return result


# --- Public consultation -------------------------------------------------------------------


def _latest_published(exclude: Referential) -> Referential | None:
    return (
        Referential.objects.filter(status=ReferentialStatus.PUBLISHED)
        .exclude(pk=exclude.pk)
        .order_by("-published_on", "-pk")
        .first()
    )


@transaction.atomic
def consultation_open(
    *,
    actor: Any,
    referential: Referential,
    opens_on: datetime.date,
    closes_on: datetime.date,
    compared_with: Referential | None = None,
) -> Consultation:
    """Open (or re-date) the consultation of a draft; it is compared with `compared_with`, by
    default the edition the draft derives from, else the latest published one."""
    _require_editor(actor)
    referential = Referential.objects.select_for_update().get(pk=referential.pk)
    if referential.status != ReferentialStatus.DRAFT:
        raise ValidationError(_("Only a draft is put to consultation."))
    raise_if_any(consultation_dates_problems(opens_on, closes_on))
    compared_with = compared_with or referential.derived_from or _latest_published(referential)
    consultation = Consultation.objects.filter(referential=referential).first() or Consultation(
        referential=referential, opened_by=actor
    )
    consultation.opens_on, consultation.closes_on = opens_on, closes_on
    consultation.compared_with = compared_with
    consultation._history_user = actor  # type: ignore[attr-defined]
    consultation.save()
    return consultation


def _comment_codes(referential: Referential) -> tuple[set[str], set[str]]:
    axes = set(Axis.objects.filter(referential=referential).values_list("code", flat=True))
    targets = set(ServiceType.objects.filter(referential=referential).values_list("code", flat=True))
    targets |= set(ProductCategory.objects.filter(referential=referential).values_list("code", flat=True))
    return axes, targets


def _check_comment(consultation: Consultation, today: datetime.date, **fields: Any) -> None:
    if consultation.referential.status != ReferentialStatus.DRAFT or not consultation.is_open_on(today):
        raise ValidationError(_("The consultation is not open."))
    axes, targets = _comment_codes(consultation.referential)
    raise_if_any(
        comment_problems(
            **fields, axis_codes=axes, target_codes=targets, levels=consultation.referential.levels
        )
    )


def _comment_fields(target: str, axis_code: str, level: int | None, target_code: str) -> dict[str, Any]:
    """Only the parts of the location the kind of comment uses are kept."""
    return {
        "target": target,
        "axis_code": axis_code if target != CommentTarget.TYPE else "",
        "level": level if target == CommentTarget.DESCRIPTOR else None,
        "target_code": target_code if target in (CommentTarget.EXPECTED, CommentTarget.TYPE) else "",
    }


@transaction.atomic
def consultation_comment_add(
    *,
    actor: Any,
    organisation: Any,
    consultation: Consultation,
    target: str,
    text: str,
    axis_code: str = "",
    level: int | None = None,
    target_code: str = "",
    today: datetime.date | None = None,
) -> ConsultationComment:
    """A member of a vendor, ARS or GRADeS comments, for the organisation they act for."""
    require_perm(
        actor,
        "referential.comment_consultation",
        organisation,
        message=_("Members of vendors and regions comment on a consultation, acting for their organisation."),
    )
    fields = _comment_fields(target, axis_code, level, target_code)
    _check_comment(consultation, today or timezone.localdate(), **fields, text=text)
    comment = ConsultationComment(
        consultation=consultation, author=actor, organisation=organisation, text=text.strip(), **fields
    )
    comment._history_user = actor  # type: ignore[attr-defined]
    comment.save()
    return comment


@transaction.atomic
def consultation_comment_update(
    *, actor: Any, comment: ConsultationComment, text: str, today: datetime.date | None = None
) -> ConsultationComment:
    """Its author changes a comment's text, until the agency has answered it."""
    comment = (
        ConsultationComment.objects.select_for_update()
        .select_related("consultation__referential")
        .get(pk=comment.pk)
    )
    require_perm(
        actor,
        "referential.change_consultation_comment",
        comment,
        message=_("A comment is changed by its author only."),
    )
    if comment.is_answered:
        raise ValidationError(_("The agency has answered this comment: it can no longer be changed."))
    _check_comment(
        comment.consultation,
        today or timezone.localdate(),
        target=comment.target,
        axis_code=comment.axis_code,
        level=comment.level,
        target_code=comment.target_code,
        text=text,
    )
    comment.text = text.strip()
    comment._history_user = actor  # type: ignore[attr-defined]
    comment.save()
    return comment


@transaction.atomic
def consultation_comment_answer(
    *, actor: Any, comment: ConsultationComment, status: str, answer: str
) -> ConsultationComment:
    """The agency answers a comment and marks it accepted, rejected or deferred."""
    _require_editor(actor)
    raise_if_any(answer_problems(status=status, answer=answer))
    comment = ConsultationComment.objects.select_for_update().get(pk=comment.pk)
    comment.status, comment.answer = status, answer.strip()
    comment.answered_by, comment.answered_at = actor, timezone.now()
    comment._history_user = actor  # type: ignore[attr-defined]
    comment.save()
    return comment
