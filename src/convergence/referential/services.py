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
from django.db import models, transaction
from django.db.models import ProtectedError
from django.utils import timezone

from .enums import ReferentialStatus
from .models import (
    Axis,
    AxisLevel,
    BlockerCategory,
    Expectation,
    ProductCategory,
    Referential,
    ScaleLevel,
    ServiceFamily,
    ServiceType,
)
from .schema import Document, ReferentialFileError, document_hash, referential_document_parse

__all__ = [
    "ReferentialFileError",
    "ReferentialImportResult",
    "load_default_referentials",
    "referential_content_hash",
    "referential_default_paths",
    "referential_document",
    "referential_export",
    "referential_import",
    "referential_publish",
    "referential_retire",
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


@transaction.atomic
def referential_import(*, source: str | bytes) -> ReferentialImportResult:
    """Load a referential file. Raises ReferentialFileError (nothing written) on any problem."""
    doc = referential_document_parse(source)
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
        Axis.objects.filter(referential=referential).prefetch_related("levels").order_by("position", "pk")
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


@transaction.atomic
def referential_publish(*, referential: Referential, on: datetime.date | None = None) -> Referential:
    """Publish a draft: from now on it is immutable and campaigns may use it."""
    referential = Referential.objects.select_for_update().get(pk=referential.pk)
    if referential.status != ReferentialStatus.DRAFT:
        raise ValueError(f"referential {referential.code} is not a draft")
    if not Axis.objects.filter(referential=referential).exists():
        raise ValueError(f"referential {referential.code} has no axis")
    referential.status = ReferentialStatus.PUBLISHED
    referential.published_on = on or timezone.localdate()
    referential.save(update_fields=["status", "published_on", "updated_at"])
    referential.content_hash = referential_content_hash(referential)
    referential.save(update_fields=["content_hash"])
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
